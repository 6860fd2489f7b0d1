// The frontend's surface beyond completions, through real processes (a mocker worker on the
// stories260K tokenizer, router, preprocessor, frontends): vLLM's /tokenize and /detokenize over
// REST and the gRPC Frontend API, --api-key on both, and --allowed-origins (CORS).
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ServiceError } from "@grpc/grpc-js";
import { Metadata, status as GrpcStatus } from "@grpc/grpc-js";
import { createClient } from "#common/grpc-client.js";
import { FrontendClient } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { DetokenizeResponse, TokenizeResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { KVMESH_CLI } from "../support/worker-process.js";
import { loadStoriesTokenizer, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";

const execFileAsync = promisify(execFile);
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

const KEY = "sk-test-0123456789";
const ALLOWED = "http://allowed.example:3000";

describe("frontend surface over a real mesh: tokenize, API key, CORS", function () {
  this.timeout(120_000);
  let mesh: Mesh;
  let grpc: FrontendClient;
  let keyed: { url: string; grpcAddress: string };
  let keyedGrpc: FrontendClient;
  let anyOrigin: { url: string; grpcAddress: string };

  before(async function () {
    requireStoriesModel(this);
    const template = join(mkdtempSync(join(tmpdir(), "kvmesh-tpl-")), "template.jinja");
    writeFileSync(template, TEMPLATE);
    mesh = await startMesh([["--engine", "mocker", "--model", storiesModelDir, "--context-length", "512", "--chat-template", template]]);
    const open = await startFrontend(mesh, []);
    grpc = createClient(FrontendClient, open.grpcAddress);
    keyed = await startFrontend(mesh, ["--api-key", KEY, "--allowed-origins", `${ALLOWED}, http://second.example`]);
    keyedGrpc = createClient(FrontendClient, keyed.grpcAddress);
    anyOrigin = await startFrontend(mesh, ["--allowed-origins", "*"]);
  });
  after(async () => {
    grpc?.close();
    keyedGrpc?.close();
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

  describe("--api-key", () => {
    const routes: Array<[string, string, object | undefined]> = [
      ["POST", "/v1/chat/completions", { model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 2 }],
      ["POST", "/v1/completions", { model: MODEL, prompt: "Once", max_tokens: 2 }],
      ["GET", "/v1/models", undefined],
      ["GET", `/v1/models/${MODEL}`, undefined],
      ["POST", "/tokenize", { model: MODEL, prompt: "Once" }],
      ["POST", "/detokenize", { model: MODEL, tokens: [1] }],
    ];
    const call = (method: string, path: string, body: object | undefined, authorization?: string): Promise<Response> =>
      fetch(`${keyed.url}${path}`, {
        method,
        headers: { "content-type": "application/json", ...(authorization === undefined ? {} : { authorization }) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const wrong: Array<[string, string | undefined]> = [
      ["no Authorization header", undefined],
      ["a wrong key", "Bearer sk-wrong"],
      ["the key without Bearer", KEY],
      ["a prefix of the key", `Bearer ${KEY.slice(0, -1)}`],
      ["the key plus one character", `Bearer ${KEY}0`],
      ["an empty bearer", "Bearer "],
    ];
    for (const [method, path, body] of routes) {
      it(`${method} ${path}: 401 invalid_api_key for every wrong key, 200 with the right one`, async () => {
        for (const [what, authorization] of wrong) {
          const res = await call(method, path, body, authorization);
          expect(res.status, what).to.equal(401);
          const json = (await res.json()) as { error: Record<string, unknown> };
          expect(json.error, what).to.include({ type: "invalid_request_error", code: "invalid_api_key", param: null });
          expect(json.error.message, what).to.be.a("string").and.not.equal("");
        }
        const ok = await call(method, path, body, `Bearer ${KEY}`);
        expect(ok.status).to.equal(200);
        const lower = await call(method, path, body, `bearer ${KEY}`);
        expect(lower.status, "the scheme is case-insensitive").to.equal(200);
      });
    }

    it("guards routes that do not exist too (401 before 404), and leaves /health, /live and /metrics open", async () => {
      expect((await call("POST", "/v1/responses", {})).status).to.equal(401);
      expect((await call("POST", "/v1/responses", {}, `Bearer ${KEY}`)).status).to.not.equal(401);
      for (const path of ["/health", "/live", "/metrics"]) expect((await call("GET", path, undefined)).status, path).to.equal(200);
    });

    it("a frontend without --api-key needs no key", async () => {
      expect((await fetch(`${mesh.url}/v1/models`)).status).to.equal(200);
    });

    it("guards every gRPC Frontend RPC with the authorization metadata (UNAUTHENTICATED without it)", async () => {
      const listModels = (metadata: Metadata): Promise<ServiceError | null> =>
        new Promise((resolve) => keyedGrpc.listModels({}, metadata, (err) => resolve(err)));
      expect((await listModels(new Metadata()))?.code).to.equal(GrpcStatus.UNAUTHENTICATED);
      const wrongKey = new Metadata();
      wrongKey.set("authorization", "Bearer sk-wrong");
      expect((await listModels(wrongKey))?.code).to.equal(GrpcStatus.UNAUTHENTICATED);
      const right = new Metadata();
      right.set("authorization", `Bearer ${KEY}`);
      expect(await listModels(right)).to.equal(null);
      const tokenize = (metadata: Metadata): Promise<ServiceError | null> =>
        new Promise((resolve) => keyedGrpc.tokenize({ model: MODEL, prompt: { $case: "text", text: "x" } }, metadata, (err) => resolve(err)));
      expect((await tokenize(new Metadata()))?.code).to.equal(GrpcStatus.UNAUTHENTICATED);
      expect(await tokenize(right)).to.equal(null);
      const stream = (metadata: Metadata): Promise<number> => new Promise((resolve) => {
        const s = keyedGrpc.completion({ model: MODEL, prompt: { $case: "text", text: "Once" }, options: { maxTokens: 2, stop: [], ignoreEos: false, logprobs: false } }, metadata);
        s.on("data", () => {});
        s.on("error", (err: ServiceError) => resolve(err.code));
        s.on("end", () => resolve(GrpcStatus.OK));
      });
      expect(await stream(new Metadata())).to.equal(GrpcStatus.UNAUTHENTICATED);
      expect(await stream(right)).to.equal(GrpcStatus.OK);
    });

    it("reads KVMESH_API_KEY and never prints the key in --check-config", async () => {
      const { stdout } = await execFileAsync("node", [KVMESH_CLI, "frontend", "--check-config"], { env: { ...process.env, KVMESH_API_KEY: KEY } });
      expect(stdout).to.not.contain(KEY);
      expect((JSON.parse(stdout) as { apiKey: unknown }).apiKey).to.equal("<redacted>");
      const unset = await execFileAsync("node", [KVMESH_CLI, "frontend", "--check-config"], { env: { ...process.env, KVMESH_API_KEY: "" } });
      expect((JSON.parse(unset.stdout) as { apiKey: unknown }).apiKey).to.not.equal("<redacted>");
    });
  });

  describe("--allowed-origins (CORS)", () => {
    const preflight = (url: string, origin: string): Promise<Response> =>
      fetch(`${url}/v1/chat/completions`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-stainless-os" },
      });
    const corsHeaders = (res: Response): string[] => [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));

    it("answers a preflight from a listed origin with 204 and the Access-Control headers, before the API key", async () => {
      for (const origin of [ALLOWED, "http://second.example"]) {
        const res = await preflight(keyed.url, origin);
        expect(res.status, origin).to.equal(204);
        expect(res.headers.get("access-control-allow-origin")).to.equal(origin);
        expect(res.headers.get("access-control-allow-methods")).to.contain("POST");
        expect(res.headers.get("access-control-allow-headers")).to.equal("authorization, content-type, x-stainless-os");
        expect(res.headers.get("access-control-max-age")).to.equal("600");
        expect(res.headers.get("vary")).to.equal("Origin");
      }
    });

    it("gives no CORS header to other origins (another port, another host) or on a frontend without the flag", async () => {
      for (const origin of ["http://allowed.example:3001", "http://evil.example", "null"]) {
        const res = await preflight(keyed.url, origin);
        expect(corsHeaders(res), origin).to.deep.equal([]);
        expect(res.status, origin).to.not.equal(204);
      }
      expect(corsHeaders(await preflight(mesh.url, ALLOWED))).to.deep.equal([]);
    });

    it("marks actual responses for an allowed origin only, errors included", async () => {
      const get = (origin: string, key = KEY): Promise<Response> => fetch(`${keyed.url}/v1/models`, { headers: { origin, authorization: `Bearer ${key}` } });
      const ok = await get(ALLOWED);
      expect(ok.status).to.equal(200);
      expect(ok.headers.get("access-control-allow-origin")).to.equal(ALLOWED);
      expect(ok.headers.get("access-control-expose-headers")).to.contain("x-kvmesh-worker-id");
      const denied = await get(ALLOWED, "sk-wrong");
      expect(denied.status).to.equal(401);
      expect(denied.headers.get("access-control-allow-origin"), "the browser may read the 401").to.equal(ALLOWED);
      expect(corsHeaders(await get("http://evil.example"))).to.deep.equal([]);
    });

    it("with *, allows any origin", async () => {
      const res = await preflight(anyOrigin.url, "http://anything.example");
      expect(res.status).to.equal(204);
      expect(res.headers.get("access-control-allow-origin")).to.equal("*");
      const post = await fetch(`${anyOrigin.url}/tokenize`, { method: "POST", headers: { origin: "http://anything.example", "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, prompt: "x" }) });
      expect(post.status).to.equal(200);
      expect(post.headers.get("access-control-allow-origin")).to.equal("*");
    });
  });
});
