// The routing record end to end: a mocker worker, a `ttft` router, the preprocessor and the
// frontend as real processes. A prompt sent twice must be predicted cached the second time and
// delivered so, on REST (streaming and not) and on the gRPC Frontend; the router's Route and
// ListWorkers answer the prediction and the calibration error; /metrics has the error histograms.
import { expect } from "chai";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "#common/grpc-client.js";
import { FrontendClient } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { CompletionChunk } from "#contracts/gen/kvmesh/v1/frontend.js";
import { startProcess, stopAllProcesses } from "../support/process.js";
import { listWorkers, route, startRouterProcess, waitForRoutable, waitUntil } from "../support/router-process.js";
import type { RouterProcess } from "../support/router-process.js";
import { repoRoot, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { KVMESH_CLI, metricSum, scrape, startWorkerProcess } from "../support/worker-process.js";

const MODEL = "stories260K";
const BS = 16;
const NS = ["--namespace", "routing-record"];
/** 100 tokens: 6 full blocks of 16 servable from cache (the block of the last token is computed). */
const PROMPT = Array.from({ length: 100 }, (_, i) => 3 + ((i * 37) % 500));
const SERVABLE = Math.floor((PROMPT.length - 1) / BS) * BS;

interface KvmeshJson { worker_id: string; predicted_cached_tokens: number | null; predicted_ttft_ms: number | null; available_cached_tokens: number | null; cached_tokens: number | null }

describe("routing record through the real frontend (mocker workers, ttft router)", function () {
  this.timeout(120_000);
  let router: RouterProcess;
  let base: string;
  let grpcAddress: string;

  const complete = async (stream: boolean): Promise<KvmeshJson> => {
    const res = await fetch(`${base}/v1/completions`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: PROMPT, max_tokens: 4, ignore_eos: true, stream }),
    });
    expect(res.status).to.equal(200);
    if (!stream) return ((await res.json()) as { kvmesh: KvmeshJson }).kvmesh;
    const chunks = (await res.text()).split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)) as { kvmesh?: KvmeshJson });
    expect(chunks.slice(0, -1).every((c) => c.kvmesh === undefined)).to.equal(true);
    return chunks.at(-1)!.kvmesh!;
  };

  before(async function () {
    requireStoriesModel(this);
    const dir = mkdtempSync(join(tmpdir(), "kvmesh-record-"));
    // One worker: the test is about the record, not the choice (ttft's calibration may rightly
    // prefer an idle cold worker for so short a prompt).
    await startWorkerProcess(["--engine", "mocker", "--model", storiesModelDir, "--block-size", String(BS), "--speedup-ratio", "10", ...NS], { registryDir: dir });
    router = await startRouterProcess(dir, ["--router-mode", "ttft", "--kv-events", "grpc", ...NS]);
    await waitForRoutable(router.client, MODEL, 1);
    const discovery = ["--discovery-dir", dir, "--discovery-ttl", "1s", ...NS];
    await startProcess("node", [KVMESH_CLI, "preprocessor", ...discovery], { cwd: repoRoot }).waitForListening(30_000);
    const frontend = startProcess("node", [KVMESH_CLI, "frontend", "--http-port", "0", ...discovery], { cwd: repoRoot });
    grpcAddress = `127.0.0.1:${await frontend.waitForListening(30_000)}`;
    const line = frontend.lines.find((l) => l.includes('"msg":"listening"'))!;
    base = `http://127.0.0.1:${(JSON.parse(line) as { http_port: number }).http_port}`;
    await waitUntil("the frontend to be ready", async () => (await fetch(`${base}/health`)).ok, 30_000);
  });
  after(async () => {
    router?.client.close();
    await stopAllProcesses();
  });

  it("predicts nothing cached for a new prompt, then predicts and delivers its blocks the second time", async () => {
    const first = await complete(false);
    expect(first).to.include({ predicted_cached_tokens: 0, available_cached_tokens: 0, cached_tokens: 0 });
    expect(first.predicted_ttft_ms).to.be.a("number").and.to.be.greaterThan(0);
    // The index learns the blocks from the worker's KV events: wait until Route sees them.
    await waitUntil("the index to hold the prompt", async () => (await route(router.client, MODEL, PROMPT)).predictedCachedTokens === SERVABLE);
    const dry = await route(router.client, MODEL, PROMPT);
    expect(dry.workerId).to.equal(first.worker_id);
    expect(dry.predictedTtftMs).to.be.a("number").and.to.be.greaterThan(0);
    for (const stream of [true, false]) {
      const again = await complete(stream);
      expect(again, `stream ${stream}`).to.include({ worker_id: first.worker_id, predicted_cached_tokens: SERVABLE, available_cached_tokens: SERVABLE, cached_tokens: SERVABLE });
      expect(again.predicted_ttft_ms).to.be.a("number").and.to.be.greaterThan(0);
    }
  });

  it("carries the record on the gRPC Frontend's last chunk", async () => {
    const client = createClient(FrontendClient, grpcAddress);
    const stream: ClientReadableStream<CompletionChunk> = client.completion({
      model: MODEL, prompt: { $case: "tokens", tokens: { tokenIds: PROMPT } }, options: { maxTokens: 4, stop: [], ignoreEos: true, logprobs: false },
    });
    const chunks: CompletionChunk[] = [];
    for await (const c of stream as AsyncIterable<CompletionChunk>) chunks.push(c);
    client.close();
    expect(chunks.slice(0, -1).every((c) => c.routing === undefined)).to.equal(true);
    const record = chunks.at(-1)!.routing!;
    expect(record).to.include({ predictedCachedTokens: SERVABLE, availableCachedTokens: SERVABLE, cachedTokens: SERVABLE });
    expect(record.predictedTtftMs).to.be.a("number").and.to.be.greaterThan(0);
  });

  it("answers each serving worker's TTFT calibration error in ListWorkers and the error histograms in /metrics", async () => {
    const served = (await listWorkers(router.client, MODEL)).workers.filter((w) => w.ttftMape !== undefined);
    expect(served.length).to.be.greaterThan(0);
    for (const w of served) expect(w.ttftMape).to.be.at.least(0);
    const text = await scrape(router.metricsPort);
    const sent = metricSum(text, "kvmesh_router_decisions_total");
    expect(sent).to.be.at.least(4);
    expect(metricSum(text, "kvmesh_router_ttft_prediction_error_seconds_count")).to.equal(sent);
    expect(metricSum(text, "kvmesh_router_cached_tokens_prediction_error_tokens_count")).to.equal(sent);
    // Every prediction here was exact (0 then 96 of 96): all in the le="0" bucket, none below it.
    expect(text).to.include(`kvmesh_router_cached_tokens_prediction_error_tokens_bucket{le="0",model="${MODEL}"} ${sent}`);
    expect(text).to.include(`kvmesh_router_cached_tokens_prediction_error_tokens_bucket{le="-1",model="${MODEL}"} 0`);
  });
});
