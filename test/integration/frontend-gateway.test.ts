// The frontend process through its real entry points — the OpenAI REST API (with the official
// `openai` client) and the gRPC Frontend API — against in-process stand-ins of the
// preprocessor replicas, registered in a file-discovery directory like real ones.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { FileDiscovery } from "#common/discovery/index.js";
import type { Registration } from "#common/discovery/index.js";
import { createClient } from "#common/grpc-client.js";
import { FrontendClient } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { CompletionChunk } from "#contracts/gen/kvmesh/v1/frontend.js";
import { FAKE_PIECES, startFakePreprocessor } from "../support/fake-preprocessor.js";
import type { FakePreprocessor } from "../support/fake-preprocessor.js";
import { startProcess, stopAllProcesses } from "../support/process.js";
import type { TestProcess } from "../support/process.js";
import { KVMESH_CLI } from "../support/worker-process.js";
import { repoRoot } from "../support/stories-model.js";

const MODEL = "fake-model";

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The stand-in preprocessor sends no routing record: its fields are null, delivered from usage. */
const NO_RECORD = { worker_id: "worker-a", migrations: 0, predicted_cached_tokens: null, predicted_ttft_ms: null, available_cached_tokens: null, cached_tokens: 4 };

describe("frontend gateway (real process, stand-in preprocessors)", function () {
  this.timeout(60_000);
  let dir: string;
  let discovery: FileDiscovery;
  let fakes: FakePreprocessor[] = [];
  let worker: Registration;
  let router: Registration;
  let proc: TestProcess;
  let base: string;
  let grpcAddress: string;
  let openai: OpenAI;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "kvmesh-frontend-"));
    discovery = new FileDiscovery({ namespace: "kvmesh", dir, ttlMs: 1000 });
    fakes = [await startFakePreprocessor(discovery, { instanceId: "pre-a", workerId: "worker-a" })];
    worker = await discovery.register({ service: "worker", instanceId: "worker-a", address: "127.0.0.1", port: 1, meta: { model: MODEL, context_length: "512" } });
    router = await discovery.register({ service: "router", instanceId: "router-a", address: "127.0.0.1", port: 1, meta: {} });
    proc = startProcess("node", [KVMESH_CLI, "frontend", "--http-port", "0", "--discovery-dir", dir, "--discovery-ttl", "1s", "--request-timeout", "2s", "--max-body-bytes", "4096"], { cwd: repoRoot });
    const port = await proc.waitForListening(20_000);
    const line = proc.lines.find((l) => l.includes('"listening"'))!;
    base = `http://127.0.0.1:${(JSON.parse(line) as { http_port: number }).http_port}`;
    grpcAddress = `127.0.0.1:${port}`;
    openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", maxRetries: 0 });
    await waitFor("the model to be listed", async () => (await (await fetch(`${base}/v1/models`)).json() as { data: unknown[] }).data.length > 0);
  });
  after(async () => {
    await stopAllProcesses();
    for (const f of fakes) await f.close();
    await worker?.deregister();
    await router?.deregister();
    await discovery?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a chat completion with usage, cached tokens, the worker header and the kvmesh extension", async () => {
    const { data, response } = await openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 8 }).withResponse();
    expect(data.choices[0].message).to.deep.include({ role: "assistant", content: FAKE_PIECES.join("") });
    expect(data.choices[0].finish_reason).to.equal("stop");
    expect(data.object).to.equal("chat.completion");
    expect(data.usage).to.deep.include({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(data.usage?.prompt_tokens_details?.cached_tokens).to.equal(4);
    expect(response.headers.get("x-kvmesh-worker-id")).to.equal("worker-a");
    expect((data as unknown as { kvmesh: object }).kvmesh).to.deep.equal(NO_RECORD);
    const sent = fakes[0].requests.at(-1)!;
    expect(sent.prompt?.$case).to.equal("chat");
    expect(sent.stop?.maxTokens).to.equal(8);
  });

  it("streams chat chunks, then the usage chunk, then [DONE]", async () => {
    const stream = await openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0].choices[0].delta.role).to.equal("assistant");
    expect(chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).join("")).to.equal(FAKE_PIECES.join(""));
    const last = chunks.at(-1)!;
    expect(last.choices).to.deep.equal([]);
    expect(last.usage?.prompt_tokens_details?.cached_tokens).to.equal(4);
    const final = chunks.at(-2)!;
    expect(final.choices[0].finish_reason).to.equal("stop");
    expect((final as unknown as { kvmesh: object }).kvmesh).to.deep.equal(NO_RECORD);
  });

  it("passes a token-id completion prompt through as tokens, with logprobs", async () => {
    const res = await openai.completions.create({ model: MODEL, prompt: [1, 2, 3], max_tokens: 4, logprobs: 1, seed: 5 });
    expect(res.choices[0].text).to.equal(FAKE_PIECES.join(""));
    expect(res.choices[0].logprobs?.tokens).to.deep.equal(FAKE_PIECES);
    const sent = fakes[0].requests.at(-1)!;
    expect(sent.prompt).to.deep.equal({ $case: "tokens", tokens: { tokenIds: [1, 2, 3] } });
    expect(sent.sampling?.seed).to.equal(5n);
    expect(sent.sampling?.topLogprobs).to.equal(1);
  });

  it("maps errors through the one table", async () => {
    const cases: Array<[string, object, number, string, string | null]> = [
      ["unsupported parameter", { model: MODEL, messages: [{ role: "user", content: "x" }], audio: { voice: "alloy" } }, 400, "invalid_request_error", "unsupported_parameter"],
      ["unknown parameter", { model: MODEL, messages: [{ role: "user", content: "x" }], frobnicate: 1 }, 400, "invalid_request_error", "unsupported_parameter"],
      ["n > 1", { model: MODEL, messages: [{ role: "user", content: "x" }], n: 2 }, 400, "invalid_request_error", "unsupported_parameter"],
      ["temperature out of range", { model: MODEL, messages: [{ role: "user", content: "x" }], temperature: 7 }, 400, "invalid_request_error", null],
      ["no messages", { model: MODEL, messages: [] }, 400, "invalid_request_error", null],
      ["model not found", { model: MODEL, messages: [{ role: "user", content: "error:5" }] }, 404, "invalid_request_error", "model_not_found"],
      ["context too long", { model: MODEL, messages: [{ role: "user", content: "error:11" }] }, 400, "invalid_request_error", "context_length_exceeded"],
      ["no chat template", { model: MODEL, messages: [{ role: "user", content: "error:9" }] }, 400, "invalid_request_error", null],
      ["overloaded", { model: MODEL, messages: [{ role: "user", content: "error:8" }] }, 503, "server_error", "overloaded"],
      ["no worker", { model: MODEL, messages: [{ role: "user", content: "error:14" }] }, 503, "server_error", "no_worker"],
      ["internal", { model: MODEL, messages: [{ role: "user", content: "error:13" }] }, 500, "server_error", null],
    ];
    for (const [what, body, status, type, code] of cases) {
      const res = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      expect(res.status, what).to.equal(status);
      const json = (await res.json()) as { error: { type: string; code: string | null; message: string } };
      expect(json.error.type, what).to.equal(type);
      expect(json.error.code, what).to.equal(code);
      expect(json.error.message, what).to.be.a("string").and.not.include("    at ");
      if (status === 503 && code === "overloaded") expect(res.headers.get("retry-after"), what).to.equal("1");
    }
    const malformed = await fetch(`${base}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(malformed.status).to.equal(400);
    const big = await fetch(`${base}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, prompt: "x".repeat(5000) }) });
    expect(big.status).to.equal(413);
    // fetch's default for a string body is text/plain, which a page on another site may send without a preflight.
    const plain = await fetch(`${base}/v1/completions`, { method: "POST", body: JSON.stringify({ model: MODEL, prompt: "hi" }) });
    expect(plain.status).to.equal(415);
    expect(((await plain.json()) as { error: { type: string } }).error.type).to.equal("invalid_request_error");
    const unknownRoute = await fetch(`${base}/v1/nope`);
    expect(unknownRoute.status).to.equal(404);
  });

  it("sends an error after the stream started as an error event, then [DONE]", async () => {
    const res = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "midstream-error" }], stream: true }) });
    expect(res.status).to.equal(200);
    const events = (await res.text()).split("\n\n").filter((e) => e !== "").map((e) => e.replace(/^data: /, ""));
    expect(events.at(-1)).to.equal("[DONE]");
    expect(JSON.parse(events.at(-2)!)).to.deep.equal({ error: { message: "worker queue full", type: "server_error", param: null, code: "overloaded" } });
  });

  it("cancels the upstream call when the client goes away, and times out slow requests with 504", async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "slow" }], stream: true }), signal: controller.signal });
    expect(res.status).to.equal(200);
    controller.abort();
    await waitFor("the upstream cancellation", async () => fakes[0].cancelled.length > 0);
    const before = fakes[0].cancelled.length;
    const slow = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "very-slow" }] }) });
    // 3 × 1 s > --request-timeout 2s.
    expect(slow.status).to.equal(504);
    expect(((await slow.json()) as { error: { code: string } }).error.code).to.equal("timeout");
    await waitFor("the timed-out call to be cancelled upstream", async () => fakes[0].cancelled.length > before);
  });

  it("retries another preprocessor replica on UNAVAILABLE before the first token", async () => {
    const refusing = await startFakePreprocessor(discovery, { instanceId: "pre-0-refusing", refuseAll: true });
    fakes.push(refusing);
    await new Promise((r) => setTimeout(r, 400)); // the frontend's watch picks the new replica up
    for (let i = 0; i < 4; i++) {
      const res = await openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] });
      expect(res.choices[0].message.content).to.equal(FAKE_PIECES.join(""));
    }
    expect(refusing.requests.length, "the refusing replica was tried").to.be.greaterThan(0);
    await refusing.close();
    fakes.pop();
  });

  it("lists models from discovery, health follows the mesh, and metrics count requests", async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).to.deep.equal([MODEL]);
    expect((await openai.models.retrieve(MODEL)).id).to.equal(MODEL);
    const missing = await fetch(`${base}/v1/models/nope`);
    expect(missing.status).to.equal(404);
    expect((await fetch(`${base}/health`)).status).to.equal(200);
    expect((await fetch(`${base}/live`)).status).to.equal(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.match(/kvmesh_frontend_requests_total\{endpoint="chat",model="fake-model",status="200"\} \d+/);
    expect(metrics).to.include("kvmesh_frontend_time_to_first_token_seconds_bucket");
    const second = await discovery.register({ service: "worker", instanceId: "worker-b", address: "127.0.0.1", port: 2, meta: { model: "second-model", context_length: "128" } });
    await waitFor("the second model", async () => (await openai.models.list()).data.length === 2);
    await second.deregister();
    await waitFor("the second model to leave", async () => (await openai.models.list()).data.length === 1);
    await worker.deregister();
    await waitFor("health to turn 503 without workers", async () => (await fetch(`${base}/health`)).status === 503);
    worker = await discovery.register({ service: "worker", instanceId: "worker-a", address: "127.0.0.1", port: 1, meta: { model: MODEL, context_length: "512" } });
    await waitFor("health back", async () => (await fetch(`${base}/health`)).status === 200);
  });

  it("serves the same pipeline over the gRPC Frontend API", async () => {
    const client = createClient(FrontendClient, grpcAddress);
    const stream: ClientReadableStream<CompletionChunk> = client.chatCompletion({ model: MODEL, messages: [{ role: "user", content: "hi" }], options: { stop: [], ignoreEos: false, logprobs: false } });
    const chunks: CompletionChunk[] = [];
    for await (const c of stream as AsyncIterable<CompletionChunk>) chunks.push(c);
    expect(chunks.map((c) => c.text).join("")).to.equal(FAKE_PIECES.join(""));
    expect(chunks.at(-1)?.finishReason).to.equal("stop");
    const failed = client.chatCompletion({ model: MODEL, messages: [{ role: "user", content: "error:5" }], options: { stop: [], ignoreEos: false, logprobs: false } });
    const err = await new Promise<{ code: number }>((resolve) => failed.on("error", resolve));
    expect(err.code).to.equal(5);
    client.close();
  });
});
