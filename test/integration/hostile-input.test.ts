// Hostile input against a live mesh (mocker worker, router, preprocessor, frontend as real
// processes): every case gets an OpenAI-shaped 4xx (never a 500) over REST and the matching
// gRPC status at the gRPC Frontend, and a normal request succeeds after each one. Oversized
// gRPC messages are refused at both doors (frontend and preprocessor) before any work, and
// client-chosen model names never become metric labels.
import { expect } from "chai";
import { readFileSync, rmSync } from "node:fs";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { FileDiscovery } from "#common/discovery/index.js";
import { createClient } from "#common/grpc-client.js";
import { FrontendClient } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { ChatCompletionRequest, CompletionChunk, CompletionOptions, CompletionRequest } from "#contracts/gen/kvmesh/v1/frontend.js";
import { PreprocessRequest, PreprocessorClient } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { hostileCases } from "../support/hostile-cases.js";
import type { HostileCase } from "../support/hostile-cases.js";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import type { TestProcess } from "../support/process.js";
import { storiesModelDir } from "../support/stories-model.js";

const MODEL = "hostile-model";
const NAMESPACE = "hostile";
const NS = ["--namespace", NAMESPACE];
const TEMPLATE = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}";
const RESOURCE_EXHAUSTED = 8;

/** Sends one case over HTTP; the status and the parsed JSON body. */
async function send(url: string, c: HostileCase["http"]): Promise<{ status: number; type: string; json: unknown }> {
  const body = typeof c.raw === "object" ? new Uint8Array(c.raw) : (c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body)));
  const headers = c.raw !== undefined ? (c.headers ?? {}) : { "content-type": "application/json", ...(c.headers ?? {}) };
  const res = await fetch(`${url}${c.path}`, { method: c.method ?? "POST", headers: body === undefined ? {} : headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, type: res.headers.get("content-type") ?? "", json };
}

/** Runs a server-streaming gRPC call to its end: the chunks, or the status it failed with. */
function collect(stream: ClientReadableStream<CompletionChunk>): Promise<{ chunks: CompletionChunk[]; code: number }> {
  return new Promise((resolve) => {
    const chunks: CompletionChunk[] = [];
    stream.on("data", (c: CompletionChunk) => chunks.push(c));
    stream.on("error", (err: { code: number }) => resolve({ chunks, code: err.code }));
    stream.on("end", () => resolve({ chunks, code: 0 }));
  });
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.replace(/\D+/g, "")) / 1024;
}

describe("hostile input against a live mesh (REST and gRPC doors)", function () {
  this.timeout(180_000);
  let mesh: Mesh;
  let discovery: FileDiscovery;
  let frontend: FrontendClient;
  let preprocessor: PreprocessorClient;
  let preprocessorProc: TestProcess;

  const options = (o: Partial<CompletionOptions> = {}): CompletionOptions => ({ maxTokens: 2, stop: [], ignoreEos: false, logprobs: false, ...o });
  const grpcChat = (r: Partial<ChatCompletionRequest> = {}, o: Partial<CompletionOptions> = {}) =>
    collect(frontend.chatCompletion({ model: MODEL, messages: [{ role: "user", content: "hi" }], options: options(o), ...r }));
  const grpcCompletion = (r: Partial<CompletionRequest> = {}, o: Partial<CompletionOptions> = {}) =>
    collect(frontend.completion({ model: MODEL, prompt: { $case: "text", text: "hi" }, options: options(o), ...r }));

  async function expectHealthy(after: string): Promise<void> {
    const ok = await send(mesh.url, { path: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 2 } });
    expect(ok.status, `a normal request after ${after}: ${JSON.stringify(ok.json)}`).to.equal(200);
  }

  before(async () => {
    mesh = await startMesh([["--engine", "mocker", "--model", storiesModelDir, "--model-name", MODEL, "--chat-template", TEMPLATE, "--speedup-ratio", "20", ...NS]], {
      router: NS, preprocessor: NS, frontend: NS,
    });
    // A second preprocessor we hold the pid of, to send it an oversized message directly.
    preprocessorProc = await mesh.addService("preprocessor", NS);
    discovery = new FileDiscovery({ namespace: NAMESPACE, dir: mesh.registryDir, ttlMs: 1000 });
    const [fe] = await discovery.list("frontend");
    frontend = createClient(FrontendClient, `${fe.address}:${fe.port}`);
    const pre = (await discovery.list("preprocessor")).find((p) => preprocessorProc.lines.some((l) => l.includes(`"port":${p.port}`)))!;
    preprocessor = createClient(PreprocessorClient, `${pre.address}:${pre.port}`);
    await expectHealthy("start-up");
  });
  after(async () => {
    frontend?.close();
    preprocessor?.close();
    await discovery?.close();
    await stopAllProcesses();
    if (mesh) rmSync(mesh.registryDir, { recursive: true, force: true });
  });

  const cases = hostileCases(MODEL);
  it("has at least 40 kinds, and at least 20 of them also at the gRPC door", () => {
    expect(cases.length).to.be.at.least(40);
    expect(cases.filter((c) => c.grpc).length).to.be.at.least(20);
  });

  for (const c of cases) {
    it(`REST: ${c.name} → ${c.status}${c.param ? ` naming ${c.param}` : ""}`, async () => {
      const res = await send(mesh.url, c.http);
      expect(res.status, JSON.stringify(res.json)).to.equal(c.status);
      expect(res.type).to.match(/^application\/json/);
      const error = (res.json as { error?: Record<string, unknown> }).error;
      expect(error, JSON.stringify(res.json)).to.be.an("object");
      expect(error).to.have.all.keys("message", "type", "param", "code");
      expect(error?.message).to.be.a("string").and.not.equal("");
      expect(error?.type).to.equal("invalid_request_error");
      if (c.param !== undefined) expect(error?.param).to.equal(c.param);
      if (c.code !== undefined) expect(error?.code).to.equal(c.code);
      await expectHealthy(c.name);
    });
  }

  for (const c of cases.filter((k) => k.grpc)) {
    const g = c.grpc!;
    it(`gRPC: ${c.name} → status ${g.status}`, async () => {
      const result = g.completion ? await grpcCompletion(g.completion, g.options) : await grpcChat(g.chat, g.options);
      expect(result.code).to.equal(g.status);
      expect(result.chunks).to.deep.equal([]);
      const ok = await grpcChat();
      expect(ok.code, "a normal gRPC request after it").to.equal(0);
    });
  }

  it("refuses a 60 MiB gRPC Frontend/Completion and a 60 MiB Preprocess before any work; the preprocessor stays up and small", async () => {
    const huge = "a".repeat(60 * 1024 * 1024);
    expect((await grpcCompletion({ prompt: { $case: "text", text: huge } })).code).to.equal(RESOURCE_EXHAUSTED);
    const direct = preprocessor.generate(PreprocessRequest.fromPartial({ requestId: "huge", model: MODEL, prompt: { $case: "text", text: huge } }));
    const code = await new Promise<number>((resolve) => {
      direct.on("data", () => undefined);
      direct.on("error", (err: { code: number }) => resolve(err.code));
      direct.on("end", () => resolve(0));
    });
    expect(code).to.equal(RESOURCE_EXHAUSTED);
    expect(preprocessorProc.exitCode).to.equal(undefined);
    expect(rssMiB(preprocessorProc.pid)).to.be.below(600);
    expect((await grpcChat()).code).to.equal(0);
    await expectHealthy("the 60 MiB messages");
  });

  it("keeps /metrics small and free of client model names (200 long unknown names, NUL bytes)", async () => {
    const before = (await (await fetch(`${mesh.url}/metrics`)).text()).length;
    for (let i = 0; i < 200; i++) {
      const res = await send(mesh.url, { path: "/v1/chat/completions", body: { model: `m-${i}-${"x".repeat(1000)}\u0000\n`, messages: [{ role: "user", content: "hi" }] } });
      expect(res.status).to.equal(404);
    }
    const text = await (await fetch(`${mesh.url}/metrics`)).text();
    expect(text).not.to.include("xxxxxxxxxx");
    expect(text).not.to.include("\u0000");
    expect(text.length - before).to.be.below(20_000);
    const labels = new Set([...text.matchAll(/kvmesh_frontend_requests_total\{[^}]*model="([^"]*)"/g)].map((m) => m[1]));
    expect([...labels].sort()).to.deep.equal([MODEL, "unknown"].sort());
  });
});
