// The real preprocessor process against in-process fake Router and Worker servers registered
// in a temp file-discovery directory: chat rendering through the stream, stop strings that
// cancel the router call, the error codes of the error table, and the router retry rule.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServiceError } from "@grpc/grpc-js";
import { FileDiscovery } from "#common/discovery/index.js";
import { createClient } from "#common/grpc-client.js";
import { hashBlocks } from "#common/kv-hash.js";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { GenerateRequest } from "#contracts/gen/kvmesh/v1/common.js";
import { PreprocessorClient } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { PreprocessRequest, PreprocessResponse, TokenizeResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { FakeRouter, FakeStep } from "../support/fake-router.js";
import { startFakeRouter } from "../support/fake-router.js";
import type { FakeWorker } from "../support/card-only-worker.js";
import { startFakeWorker } from "../support/card-only-worker.js";
import { startProcess, stopAllProcesses } from "../support/process.js";
import { storiesModelCard } from "../support/stories-card.js";
import { loadStoriesTokenizer, requireStoriesModel } from "../support/stories-model.js";
import { streamMessages } from "../support/stream-messages.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../cli/kvmesh.js", import.meta.url));
const TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ m.role + ': ' + m.content + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";

/** The fake router's reply: the text's tokens in two messages, then `end`. */
function reply(text: string, end: FakeStep): FakeStep[] {
  const ids = loadStoriesTokenizer().encode(text, { add_special_tokens: false }).ids;
  const half = Math.ceil(ids.length / 2);
  return [{ send: { tokenIds: ids.slice(0, half) } }, { send: { tokenIds: ids.slice(half) } }, end];
}

/** The reply for a request: ids starting "hold" stream a stop string and stay open; others finish. */
function script(request: GenerateRequest): FakeStep[] {
  if (request.requestId.startsWith("hold")) return reply("Once upon a STOP time there was", { hold: true });
  return reply("Hello there", { send: { tokenIds: [], finishReason: FinishReason.FINISH_REASON_LENGTH, usage: { promptTokens: request.tokenIds.length, completionTokens: 2, cachedTokens: 16 } } });
}

describe("preprocessor service (real process, fake router and worker)", function () {
  this.timeout(60_000);
  let registryDir: string;
  let discovery: FileDiscovery;
  let router: FakeRouter;
  let badRouter: FakeRouter;
  const workers: FakeWorker[] = [];
  let client: PreprocessorClient;
  let metricsPort: number;

  before(async function () {
    requireStoriesModel(this);
    registryDir = mkdtempSync(join(tmpdir(), "kvmesh-preprocessor-"));
    discovery = new FileDiscovery({ namespace: "kvmesh", dir: registryDir, ttlMs: 1000 });
    router = await startFakeRouter(discovery, "router-good", script);
    // Sorted first, so round-robin meets it: it must be skipped (UNAVAILABLE before any token).
    badRouter = await startFakeRouter(discovery, "router-a-bad", () => [{ fail: { code: 14, details: "no worker right now" } }]);
    workers.push(await startFakeWorker(discovery, "worker-stories", storiesModelCard()));
    workers.push(await startFakeWorker(discovery, "worker-chatty", storiesModelCard({ name: "chatty", chatTemplate: TEMPLATE })));
    const proc = startProcess("node", [CLI, "preprocessor", "--discovery-dir", registryDir, "--discovery-ttl", "1s", "--metrics-port", "0"], { cwd: ROOT });
    const port = await proc.waitForListening(20_000);
    metricsPort = (JSON.parse(await proc.waitForLine(/"msg":"listening"/)) as { metrics_port: number }).metrics_port;
    client = createClient(PreprocessorClient, `127.0.0.1:${port}`);
  });

  after(async () => {
    client?.close();
    await stopAllProcesses();
    await Promise.all([router?.stop(), badRouter?.stop(), ...workers.map((w) => w.stop())]);
    await discovery?.close();
    if (registryDir) rmSync(registryDir, { recursive: true, force: true });
  });

  /** Runs a Generate call to its end: the messages, or the error. */
  function generate(request: Partial<PreprocessRequest>): Promise<{ messages: PreprocessResponse[]; error?: ServiceError }> {
    const full: PreprocessRequest = { requestId: "r", model: "chatty", stopStrings: [], includeStopStrInOutput: false, ...request };
    return streamMessages<PreprocessResponse>(client.generate(full));
  }

  const text = (messages: PreprocessResponse[]): string => messages.map((m) => m.text).join("");

  it("renders the chat template, applies defaults, streams the text and passes usage through", async () => {
    const chat = { messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "Hi" }] };
    const { messages, error } = await generate({ requestId: "chat-1", prompt: { $case: "chat", chat } });
    expect(error).to.equal(undefined);
    const rendered = "<s>system: Be kind.\nuser: Hi\nassistant:";
    const expectedIds = loadStoriesTokenizer().encode(rendered, { add_special_tokens: false }).ids;
    const seen = router.calls.find((c) => c.request.requestId === "chat-1")!.request;
    expect(seen.tokenIds).to.deep.equal(expectedIds);
    expect(seen.stop?.maxTokens).to.equal(512 - expectedIds.length);
    expect(seen.sampling?.temperature).to.equal(0); // generation_config do_sample: false
    // The prompt is hashed once here, in the card's block size, for the router.
    const hashes = hashBlocks(expectedIds, 16);
    expect(seen.blockHashes).to.deep.equal({ blockSize: 16, localHashes: hashes.local, sequenceHashes: hashes.sequence });
    expect(seen.blockHashes?.localHashes).to.have.length(Math.floor(expectedIds.length / 16));
    expect(text(messages)).to.equal(" Hello there");
    const last = messages.at(-1)!;
    expect(last.finishReason).to.equal(FinishReason.FINISH_REASON_LENGTH);
    expect(last.usage).to.deep.equal({ promptTokens: expectedIds.length, completionTokens: 2, cachedTokens: 16 });

    const tokenized = await new Promise<TokenizeResponse>((resolve, reject) =>
      client.tokenize({ model: "chatty", prompt: { $case: "chat", chat } }, (err, res) => (err ? reject(err) : resolve(res!))),
    );
    expect(tokenized).to.deep.equal({ tokenIds: expectedIds, prompt: rendered, contextLength: 512 });
  });

  it("ends at a stop string split across tokens, never emits it, and cancels the router call", async () => {
    const { messages, error } = await generate({ requestId: "hold-1", model: "stories260K", prompt: { $case: "text", text: "Hi" }, stopStrings: ["STOP"] });
    expect(error).to.equal(undefined);
    expect(text(messages)).to.equal(" Once upon a ");
    const last = messages.at(-1)!;
    expect(last.finishReason).to.equal(FinishReason.FINISH_REASON_STOP);
    expect(last.stopString).to.equal("STOP");
    const seen = router.calls.find((c) => c.request.requestId === "hold-1")!;
    await Promise.race([seen.cancelled, new Promise((_, reject) => setTimeout(() => reject(new Error("the router call was not cancelled")), 5000))]);
    expect(seen.wasCancelled).to.equal(true);
  });

  it("a client that cancels mid-stream cancels the router call", async () => {
    const stream = client.generate({ requestId: "hold-cancel", model: "stories260K", prompt: { $case: "text", text: "Hi" }, stopStrings: [], includeStopStrInOutput: false });
    stream.on("error", () => undefined); // CANCELLED, by us
    await new Promise<void>((resolve) => stream.once("data", () => resolve()));
    stream.cancel();
    const seen = router.calls.find((c) => c.request.requestId === "hold-cancel")!;
    await Promise.race([seen.cancelled, new Promise((_, reject) => setTimeout(() => reject(new Error("the router call was not cancelled")), 5000))]);
    expect(seen.wasCancelled).to.equal(true);
  });

  it("serves a model whose worker registers after startup (the worker set is watched)", async () => {
    const late = await startFakeWorker(discovery, "worker-late", storiesModelCard({ name: "late-model", contextLength: 64 }));
    workers.push(late);
    const request: Partial<PreprocessRequest> = { requestId: "late-1", model: "late-model", prompt: { $case: "text", text: "Hi" } };
    let result = await generate(request);
    // Discovery's watch polls the registry: the new worker shows up within a poll period.
    for (let i = 0; i < 50 && result.error?.code === 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await generate(request);
    }
    expect(result.error).to.equal(undefined);
    expect(late.cardFetches).to.equal(1);
    const promptLength = loadStoriesTokenizer().encode("Hi").ids.length;
    expect(router.calls.find((c) => c.request.requestId === "late-1")!.request.stop?.maxTokens).to.equal(64 - promptLength);
  });

  it("passes token-id prompts through unchanged (no BOS added)", async () => {
    const { error } = await generate({ requestId: "ids-1", model: "stories260K", prompt: { $case: "tokens", tokens: { tokenIds: [403, 407, 261] } } });
    expect(error).to.equal(undefined);
    expect(router.calls.find((c) => c.request.requestId === "ids-1")!.request.tokenIds).to.deep.equal([403, 407, 261]);
  });

  const ERRORS: Array<{ name: string; request: Partial<PreprocessRequest>; code: number; details: RegExp }> = [
    { name: "a prompt over the context length → OUT_OF_RANGE", request: { model: "stories260K", prompt: { $case: "text", text: "the end ".repeat(400) } }, code: 11, details: /context length is 512/ },
    { name: "max_tokens past the context → OUT_OF_RANGE", request: { model: "stories260K", prompt: { $case: "text", text: "Hi" }, stop: { maxTokens: 600, stopTokenIds: [], ignoreEos: false } }, code: 11, details: /512 tokens.*max_tokens/ },
    { name: "an unknown model → NOT_FOUND", request: { model: "no-such-model", prompt: { $case: "text", text: "Hi" } }, code: 5, details: /no-such-model/ },
    { name: "chat on a model without a template → FAILED_PRECONDITION", request: { model: "stories260K", prompt: { $case: "chat", chat: { messages: [{ role: "user", content: "Hi" }] } } }, code: 9, details: /no chat template/ },
    { name: "a non-text content part → UNIMPLEMENTED", request: { prompt: { $case: "chat", chat: { messages: [{ role: "user", contentPartsJson: '[{"type":"image_url"}]' }] } } }, code: 12, details: /image_url/ },
  ];
  for (const e of ERRORS) {
    it(e.name, async () => {
      const { messages, error } = await generate(e.request);
      expect(messages).to.deep.equal([]);
      expect(error?.code, error?.details).to.equal(e.code);
      expect(error?.details).to.match(e.details);
    });
  }

  it("skips a router replica that answers UNAVAILABLE before the first token", async () => {
    for (const id of ["rr-1", "rr-2"]) {
      const { error } = await generate({ requestId: id, model: "stories260K", prompt: { $case: "text", text: "Hi" } });
      expect(error).to.equal(undefined);
    }
    expect(badRouter.calls.length).to.be.greaterThan(0);
  });

  it("counts requests by outcome and stop-string cancels in /metrics", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://127.0.0.1:${metricsPort}/metrics`, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resolve(text));
      }).on("error", reject);
    });
    expect(body).to.match(/^kvmesh_preprocessor_requests_total\{outcome="length"\} [1-9]/m);
    expect(body).to.match(/^kvmesh_preprocessor_requests_total\{outcome="stop"\} [1-9]/m);
    expect(body).to.match(/^kvmesh_preprocessor_requests_total\{outcome="error_5"\} [1-9]/m);
    expect(body).to.match(/^kvmesh_preprocessor_stop_string_cancels_total [1-9]/m);
  });
});
