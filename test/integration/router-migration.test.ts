// Worker loss under the router, with real processes: one mocker worker per process so one can
// be killed mid-stream (the stream migrates) and another SIGTERMed (later requests land
// elsewhere, and its blocks leave the index).
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { stopAllProcesses } from "../support/process.js";
import { dumpIndex, listWorkers, routerGenerate, startRouterProcess, waitForRoutable, waitUntil } from "../support/router-process.js";
import type { RouterProcess } from "../support/router-process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { getLoad, metricSum, scrape, startWorkerProcess } from "../support/worker-process.js";
import type { WorkerProcess } from "../support/worker-process.js";

const MODEL = "stories260K";
const BS = 4;
const prompt = (seed: number, n: number): number[] => Array.from({ length: n }, (_, i) => 3 + ((seed * 7919 + i * 31) % 500));

describe("router: migration and worker loss (real processes)", function () {
  this.timeout(120_000);
  let workers: WorkerProcess[] = [];
  let router: RouterProcess;

  before(async function () {
    requireStoriesModel(this);
    const registryDir = mkdtempSync(join(tmpdir(), "kvmesh-router-mig-"));
    // speedup 1: ~6 ms per decode step, so a 300-token stream lasts long enough to kill its worker.
    const flags = ["--engine", "mocker", "--model", storiesModelDir, "--block-size", String(BS), "--num-kv-blocks", "1024", "--speedup-ratio", "1", "--shutdown-grace", "2s"];
    workers = await Promise.all([0, 1, 2].map(() => startWorkerProcess(flags, { registryDir })));
    router = await startRouterProcess(registryDir, ["--kv-events", "grpc", "--migration-limit", "2"]);
    await waitForRoutable(router.client, MODEL, 3);
  });

  after(async () => {
    await router?.stop();
    await stopAllProcesses();
  });

  const processOf = (workerId: string): WorkerProcess => workers.find((w) => w.workerIds[0] === workerId)!;

  it("a caller cancel cancels the worker's call (its sequence is freed long before it would end)", async () => {
    let serving: string | undefined;
    const call = router.client.generate({
      requestId: "cancel-1", model: MODEL, tokenIds: prompt(3, 8 * BS), stop: { maxTokens: 5000, stopTokenIds: [], ignoreEos: true },
    });
    const ended = new Promise<number | undefined>((resolve) => {
      call.on("error", (err: { code?: number }) => resolve(err.code));
      call.on("end", () => resolve(undefined));
    });
    await new Promise<void>((resolve) => call.on("data", (m: GenerateResponse) => {
      serving ??= m.workerId;
      resolve();
    }));
    const client = processOf(serving!).client();
    expect((await getLoad(client)).running).to.equal(1);
    call.cancel();
    expect(await ended).to.equal(1); // CANCELLED
    // 5000 tokens take ~30 s; a freed sequence shows at once.
    await waitUntil("the worker's sequence freed", async () => (await getLoad(client)).running === 0, 5000);
  });

  it("migrates a stream whose worker is killed: one stream, contiguous indexes, migrations=1", async () => {
    const tokenIds = prompt(1, 10 * BS);
    let killed: string | undefined;
    let seen = 0;
    const out = await routerGenerate(router.client, { model: MODEL, tokenIds, sampling: { seed: 7n }, stop: { maxTokens: 300, stopTokenIds: [], ignoreEos: true } }, (m: GenerateResponse) => {
      seen += m.tokenIds.length;
      if (killed === undefined && seen >= 20) {
        killed = m.workerId;
        processOf(killed).proc.signal("SIGKILL");
      }
    });
    expect(killed, "a worker was killed mid-stream").to.be.a("string");
    let next = 0;
    for (const m of out) {
      expect(m.index).to.equal(next);
      next += m.tokenIds.length;
    }
    expect(next).to.equal(300);
    const last = out.at(-1)!;
    expect(last.migrations).to.equal(1);
    expect(last.workerId).to.not.equal(killed);
    expect(last.finishReason).to.equal(2);
    expect(last.usage).to.include({ promptTokens: tokenIds.length, completionTokens: 300 });
    expect(metricSum(await scrape(router.metricsPort), "kvmesh_router_migrations_total")).to.equal(1);
  });

  it("after SIGTERM of a worker, later requests land elsewhere and its blocks leave the index", async () => {
    const live = workers.filter((w) => w.proc.exitCode === undefined);
    expect(live).to.have.length(2);
    const tokenIds = prompt(2, 12 * BS);
    const holder = (await routerGenerate(router.client, { model: MODEL, tokenIds, stop: { maxTokens: 4, stopTokenIds: [], ignoreEos: true } })).at(-1)!.workerId;
    await waitUntil("its blocks indexed", async () => (await dumpIndex(router.client, MODEL)).some((w) => w.workerId === holder && w.sequenceHashes.length >= 12));
    const stopped = processOf(holder);
    expect(await stopped.proc.stop(10_000)).to.equal(0);
    for (let i = 0; i < 3; i++) {
      const out = await routerGenerate(router.client, { model: MODEL, tokenIds: [...tokenIds, i], stop: { maxTokens: 4, stopTokenIds: [], ignoreEos: true } });
      expect(out.at(-1)!.workerId, `request ${i} after SIGTERM`).to.not.equal(holder);
      expect(out.at(-1)!.finishReason).to.equal(2);
    }
    await waitUntil("the stopped worker gone from the index", async () => !(await dumpIndex(router.client, MODEL)).some((w) => w.workerId === holder));
  });

  it("excludes a worker whose block size disagrees, with the reason in ListWorkers and a loud log line", async () => {
    const odd = await startWorkerProcess(["--engine", "mocker", "--model", storiesModelDir, "--block-size", "8", "--num-kv-blocks", "64"], { registryDir: workers[0].registryDir });
    const id = odd.workerIds[0];
    await waitUntil("the odd worker listed with its card", async () => (await listWorkers(router.client, MODEL)).workers.some((w) => w.workerId === id && w.blockSize === 8));
    const row = (await listWorkers(router.client, MODEL)).workers.find((w) => w.workerId === id)!;
    expect(row.routable).to.equal(false);
    expect(row.exclusionReason).to.contain("block size 8").and.contain("4");
    await router.proc.waitForLine(new RegExp(`WORKER EXCLUDED FROM ROUTING.*${id}|${id}.*WORKER EXCLUDED FROM ROUTING`), 5000);
    const out = await routerGenerate(router.client, { model: MODEL, tokenIds: prompt(4, 3 * BS), stop: { maxTokens: 2, stopTokenIds: [], ignoreEos: true } });
    expect(out.at(-1)!.workerId).to.not.equal(id);
  });
});
