// The frontend's surface beyond completions, through real processes (a mocker worker on the
// stories260K tokenizer, router, preprocessor, frontend): vLLM's /tokenize and /detokenize over
// REST and the gRPC Frontend API.
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { createClient } from "#common/grpc-client.js";
import { FrontendClient } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { DetokenizeResponse, TokenizeResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { loadStoriesTokenizer, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";

const MODEL = "stories260K";
const TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
const TEXT = "Once upon a time, there was a little girl named Lily.";

interface Answer { status: number; json: Record<string, unknown> & { error?: { message: string; type: string; param: string | null; code: string | null } } }

/** Starts one more frontend in `mesh`; resolves its REST base URL and gRPC address once healthy. */
async function startFrontend(mesh: Mesh, flags: string[]): Promise<{ url: string; grpcAddress: string }> {
  const proc = await mesh.addService("frontend", ["--http-port", "0", ...flags]);
  const line = JSON.parse(proc.lines.find((l) => l.includes('"msg":"listening"'))!) as { port: number; http_port: number };
  const url = `http://127.0.0.1:${line.http_port}`;
  for (let i = 0; i < 200 && !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
  return { url, grpcAddress: `127.0.0.1:${line.port}` };
}

async function post(url: string, path: string, body: object, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Answer["json"] };
}

describe("frontend surface: /tokenize and /detokenize over a real mesh", function () {
  this.timeout(120_000);
  let mesh: Mesh;
  let grpc: FrontendClient;

  before(async function () {
    requireStoriesModel(this);
    const template = join(mkdtempSync(join(tmpdir(), "kvmesh-tpl-")), "template.jinja");
    writeFileSync(template, TEMPLATE);
    mesh = await startMesh([["--engine", "mocker", "--model", storiesModelDir, "--context-length", "512", "--chat-template", template]]);
    const open = await startFrontend(mesh, []);
    grpc = createClient(FrontendClient, open.grpcAddress);
  });
  after(async () => {
    grpc?.close();
    await stopAllProcesses();
  });

  it("tokenizes a text as the model's tokenizer does (BOS by default, not with add_special_tokens false) and detokenizes it back", async () => {
    const reference = loadStoriesTokenizer().encode(TEXT).ids;
    const withBos = await post(mesh.url, "/tokenize", { model: MODEL, prompt: TEXT });
    expect(withBos.status).to.equal(200);
    expect(withBos.json).to.deep.equal({ count: reference.length, max_model_len: 512, tokens: reference });
    const plain = await post(mesh.url, "/tokenize", { model: MODEL, prompt: TEXT, add_special_tokens: false });
    expect(plain.json.tokens).to.deep.equal(reference.slice(1));
    const back = await post(mesh.url, "/detokenize", { model: MODEL, tokens: plain.json.tokens as number[] });
    expect(back).to.deep.equal({ status: 200, json: { prompt: TEXT } });
  });

  it("renders and tokenizes chat messages; add_generation_prompt changes the count", async () => {
    const messages = [{ role: "user", content: "Tell me a story" }];
    const withPrompt = await post(mesh.url, "/tokenize", { model: MODEL, messages });
    const without = await post(mesh.url, "/tokenize", { model: MODEL, messages, add_generation_prompt: false });
    expect(withPrompt.status).to.equal(200);
    expect(without.status).to.equal(200);
    expect(withPrompt.json.count).to.be.greaterThan(without.json.count as number);
  });

  it("answers 404 model_not_found for an unknown model, 400 naming tokens for an id outside the vocabulary", async () => {
    const unknown = await post(mesh.url, "/tokenize", { model: "no-such-model", prompt: "x" });
    expect(unknown.status).to.equal(404);
    expect(unknown.json.error).to.include({ type: "invalid_request_error", code: "model_not_found", param: "model" });
    const unknownDetok = await post(mesh.url, "/detokenize", { model: "no-such-model", tokens: [1] });
    expect(unknownDetok.status).to.equal(404);
    const outside = await post(mesh.url, "/detokenize", { model: MODEL, tokens: [5, 512] });
    expect(outside.status).to.equal(400);
    expect(outside.json.error).to.include({ type: "invalid_request_error", param: "tokens" });
    expect(outside.json.error?.message).to.contain("512");
    const lastInVocab = await post(mesh.url, "/detokenize", { model: MODEL, tokens: [511] });
    expect(lastInVocab.status).to.equal(200);
    const negative = await post(mesh.url, "/detokenize", { model: MODEL, tokens: [-1] });
    expect(negative.status).to.equal(400);
    expect(negative.json.error?.param).to.equal("tokens");
  });

  it("offers Tokenize and Detokenize on the gRPC Frontend with the same errors", async () => {
    const tokens = await new Promise<TokenizeResponse>((resolve, reject) =>
      grpc.tokenize({ model: MODEL, prompt: { $case: "text", text: TEXT }, addSpecialTokens: false }, (err, r) => (err ? reject(err) : resolve(r!))));
    expect(tokens.tokenIds).to.deep.equal(loadStoriesTokenizer().encode(TEXT).ids.slice(1));
    expect(tokens.contextLength).to.equal(512);
    const text = await new Promise<DetokenizeResponse>((resolve, reject) =>
      grpc.detokenize({ model: MODEL, tokenIds: tokens.tokenIds }, (err, r) => (err ? reject(err) : resolve(r!))));
    expect(text.text).to.equal(TEXT);
    const err = await new Promise<ServiceError>((resolve) => grpc.detokenize({ model: "no-such-model", tokenIds: [1] }, (e) => resolve(e!)));
    expect(err.code).to.equal(GrpcStatus.NOT_FOUND);
  });
});
