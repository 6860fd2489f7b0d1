// The router queue (late binding) through a real router process and real mocker workers: while
// every worker has uncached prompt tokens in flight (threshold 1), a new request is held (the
// queue-depth metric shows it, no token comes back for it) and is released when a first token
// comes back; a held request whose client goes away leaves the queue.
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientReadableStream } from "@grpc/grpc-js";
import type { GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { stopAllProcesses } from "../support/process.js";
import { routerGenerate, startRouterProcess, waitForRoutable, waitUntil } from "../support/router-process.js";
import type { RouterProcess } from "../support/router-process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { metricSum, scrape, startWorkerProcess } from "../support/worker-process.js";

const MODEL = "stories260K";
/** A prompt of `n` tokens from a seed (vocab 512; token 0..2 avoided). */
const prompt = (seed: number, n: number): number[] => Array.from({ length: n }, (_, i) => 3 + ((seed * 7919 + i * 31) % 500));

describe("router queue with 2 mocker workers", function () {
  this.timeout(120_000);
  let router: RouterProcess;

  before(async function () {
    requireStoriesModel(this);
    const registryDir = mkdtempSync(join(tmpdir(), "kvmesh-router-queue-"));
    // 100× slower than the mocker's timing: a 200-token prefill takes ~3.3 s, so a held request is observable.
    await startWorkerProcess(
      ["--engine", "mocker", "--model", storiesModelDir, "--workers", "2", "--block-size", "4", "--num-kv-blocks", "1024", "--speedup-ratio", "0.01"],
      { registryDir, workers: 2 },
    );
    router = await startRouterProcess(registryDir, ["--kv-events", "grpc", "--router-mode", "kv", "--router-queue-threshold", "1", "--router-queue-max-wait", "60s"]);
    await waitForRoutable(router.client, MODEL, 2);
  });

  after(async () => {
    await router?.stop();
    await stopAllProcesses();
  });

  const metric = async (name: string): Promise<number> => metricSum(await scrape(router.metricsPort), name);
  const ask = (seed: number, onMessage?: (m: GenerateResponse) => void) =>
    routerGenerate(router.client, { model: MODEL, tokenIds: prompt(seed, 200), stop: { maxTokens: 2, stopTokenIds: [], ignoreEos: true } }, onMessage);

  it("holds a request while both workers prefill and releases it at the first token", async () => {
    const firstTokenAt: number[] = [];
    const stamp = (m: GenerateResponse) => {
      if (m.tokenIds.length > 0) firstTokenAt.push(performance.now());
    };
    const a = ask(1, stamp);
    const b = ask(2, stamp);
    await waitUntil("2 decisions", async () => (await metric("kvmesh_router_decisions_total")) === 2);
    let heldFirstAt: number | undefined;
    const c = ask(3, (m) => (heldFirstAt ??= m.tokenIds.length > 0 ? performance.now() : undefined));
    await waitUntil("1 request held", async () => (await metric("kvmesh_router_queue_depth")) === 1);
    expect(await metric("kvmesh_router_decisions_total")).to.equal(2); // c is not decided while held
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    for (const r of [ra, rb, rc]) expect(r.at(-1)?.finishReason).to.not.equal(undefined);
    expect(heldFirstAt).to.be.greaterThan(Math.min(...firstTokenAt));
    expect(await metric("kvmesh_router_queue_depth")).to.equal(0);
    expect(await metric("kvmesh_router_decisions_total")).to.equal(3);
    expect(await metric('kvmesh_router_queue_wait_seconds_count{exit="released"}')).to.equal(1);
  });

  it("a held request whose client cancels leaves the queue and is never sent", async () => {
    const before = await metric("kvmesh_router_decisions_total");
    const a = ask(4);
    const b = ask(5);
    await waitUntil("2 more decisions", async () => (await metric("kvmesh_router_decisions_total")) === before + 2);
    const call: ClientReadableStream<GenerateResponse> = router.client.generate({
      requestId: "held-then-cancelled", model: MODEL, tokenIds: prompt(6, 200), stop: { maxTokens: 2, stopTokenIds: [], ignoreEos: true },
    });
    const ended = new Promise<void>((resolve) => call.on("error", () => resolve()).on("end", () => resolve()));
    call.on("data", () => {});
    await waitUntil("1 request held", async () => (await metric("kvmesh_router_queue_depth")) === 1);
    call.cancel();
    await ended;
    await waitUntil("the queue emptied", async () => (await metric("kvmesh_router_queue_depth")) === 0);
    expect(await metric('kvmesh_router_queue_wait_seconds_count{exit="cancelled"}')).to.equal(1);
    await Promise.all([a, b]);
    expect(await metric("kvmesh_router_decisions_total")).to.equal(before + 2);
  });
});

describe("router queue when a worker joins", function () {
  this.timeout(120_000);
  let router: RouterProcess;
  let registryDir: string;

  before(async function () {
    requireStoriesModel(this);
    registryDir = mkdtempSync(join(tmpdir(), "kvmesh-router-queue-join-"));
    // 1,000× slower than the mocker's timing: a 200-token prefill takes ~30 s, far longer than a worker takes to join.
    await startWorkerProcess(["--engine", "mocker", "--model", storiesModelDir, "--block-size", "4", "--num-kv-blocks", "1024", "--speedup-ratio", "0.001"], { registryDir });
    router = await startRouterProcess(registryDir, ["--kv-events", "grpc", "--router-mode", "kv", "--router-queue-threshold", "1", "--router-queue-max-wait", "60s"]);
    await waitForRoutable(router.client, MODEL, 1);
  });

  after(async () => {
    await router?.stop();
    await stopAllProcesses();
  });

  it("decides a held request as soon as a new worker is routable, not at the next first token", async () => {
    const metric = async (name: string): Promise<number> => metricSum(await scrape(router.metricsPort), name);
    const calls = [1, 2].map((seed) => router.client.generate({
      requestId: `join-${seed}`, model: MODEL, tokenIds: prompt(seed, 200), stop: { maxTokens: 2, stopTokenIds: [], ignoreEos: true },
    }));
    let tokens = 0;
    for (const call of calls) call.on("data", (m: GenerateResponse) => (tokens += m.tokenIds.length)).on("error", () => {});
    await waitUntil("1 decided, 1 held", async () => (await metric("kvmesh_router_decisions_total")) === 1 && (await metric("kvmesh_router_queue_depth")) === 1);
    await startWorkerProcess(["--engine", "mocker", "--model", storiesModelDir, "--block-size", "4", "--num-kv-blocks", "1024", "--speedup-ratio", "0.001"], { registryDir });
    await waitUntil("the held request decided", async () => (await metric("kvmesh_router_decisions_total")) === 2);
    expect(tokens, "decided before any first token came back").to.equal(0);
    expect(await metric("kvmesh_router_queue_depth")).to.equal(0);
    expect(await metric('kvmesh_router_queue_wait_seconds_count{exit="released"}')).to.equal(1);
    for (const call of calls) call.cancel();
  });
});
