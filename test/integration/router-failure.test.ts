// Worker loss under load, with real processes: 20 concurrent streams through real routers to 3
// mocker worker processes (one worker each), one SIGKILLed while every stream is mid-way.
// With --migration-limit 1 every stream still ends whole; with 0 the lost worker's streams fail
// naming it and the rest are untouched. A worker process started afterwards has a new epoch,
// and the routers' indexes equal what the live workers hold (no blocks of the dead one).
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import type { GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { stopAllProcesses } from "../support/process.js";
import { dumpIndex, dumpsByWorker, indexByWorker, listWorkers, routerGenerate, startRouterProcess, waitUntil } from "../support/router-process.js";
import type { RouterProcess } from "../support/router-process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { dumpKvState, startWorkerProcess } from "../support/worker-process.js";
import type { WorkerProcess } from "../support/worker-process.js";

const MODEL = "stories260K";
const BS = 4;
const STREAMS = 20;
const MAX_TOKENS = 400;
/** Every stream has at least this many tokens (and none has finished) when the worker dies. */
const KILL_AFTER = 12;
// speedup 1: ≥ 6 ms a decode step, so 400 tokens take ≥ 2.4 s; the kill comes after ~12 steps.
const WORKER_FLAGS = ["--engine", "mocker", "--model", storiesModelDir, "--block-size", String(BS), "--num-kv-blocks", "8192", "--speedup-ratio", "1", "--shutdown-grace", "2s"];
const prompt = (seed: number, n: number): number[] => Array.from({ length: n }, (_, i) => 3 + ((seed * 7919 + i * 31) % 500));

/** How one of the concurrent streams ended. */
interface Outcome {
  /** The worker that served its first message. */
  firstWorker: string;
  messages: GenerateResponse[];
  error?: ServiceError;
}

/**
 * Starts STREAMS concurrent streams through `router`; once every one has KILL_AFTER tokens and
 * none has finished, SIGKILLs the worker serving the most of them. Resolves with each stream's
 * outcome and the killed worker's id.
 */
async function killMidway(router: RouterProcess, workers: readonly WorkerProcess[], seedBase: number): Promise<{ outcomes: Outcome[]; killed: string }> {
  const seen = new Array<number>(STREAMS).fill(0);
  const first = new Array<string>(STREAMS).fill("");
  let finished = 0;
  let reachedAll!: () => void;
  const allMidway = new Promise<void>((resolve) => (reachedAll = resolve));
  const streams = Array.from({ length: STREAMS }, (_, i) => {
    const request = { model: MODEL, tokenIds: prompt(seedBase + i, 10 * BS), sampling: { seed: BigInt(seedBase + i) }, stop: { maxTokens: MAX_TOKENS, stopTokenIds: [], ignoreEos: true } };
    return routerGenerate(router.client, request, (m) => {
      first[i] ||= m.workerId;
      seen[i] += m.tokenIds.length;
      if (m.finishReason !== undefined) finished++;
      if (seen.every((n) => n >= KILL_AFTER)) reachedAll();
    }).then(
      (messages): Outcome => ({ firstWorker: first[i], messages }),
      (error: ServiceError): Outcome => ({ firstWorker: first[i], messages: [], error }),
    );
  });
  await allMidway;
  expect(finished, "no stream had finished when the worker was killed").to.equal(0);
  const perWorker = new Map<string, number>();
  for (const w of first) perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
  const killed = [...perWorker].sort((a, b) => b[1] - a[1])[0][0];
  const victim = workers.find((w) => w.workerIds[0] === killed)!;
  victim.proc.signal("SIGKILL");
  await victim.proc.waitForExit(5000);
  const outcomes = await Promise.all(streams);
  return { outcomes, killed };
}

/** The stream is one whole generation: indexes 0..MAX_TOKENS−1, no gap or duplicate. */
function expectWhole(o: Outcome, label: string): GenerateResponse {
  expect(o.error, `${label}: ${o.error?.message}`).to.equal(undefined);
  let next = 0;
  for (const m of o.messages) {
    expect(m.index, `${label}: contiguous indexes`).to.equal(next);
    next += m.tokenIds.length;
  }
  expect(next, `${label}: tokens`).to.equal(MAX_TOKENS);
  const last = o.messages.at(-1)!;
  expect(last.finishReason, `${label}: finish reason LENGTH`).to.equal(2);
  expect(last.usage?.completionTokens, `${label}: usage`).to.equal(MAX_TOKENS);
  return last;
}

describe("router: a worker killed under 20 concurrent streams (real processes)", function () {
  this.timeout(180_000);
  let registryDir: string;
  const workers: WorkerProcess[] = [];
  let migrating: RouterProcess;
  let strict: RouterProcess;
  /** Epoch of every worker that ever ran, from its own DumpKvState. */
  const epochs = new Map<string, bigint>();
  const killedIds: string[] = [];

  const live = (): WorkerProcess[] => workers.filter((w) => w.proc.exitCode === undefined);
  const routable = async (router: RouterProcess): Promise<string[]> =>
    (await listWorkers(router.client, MODEL)).workers.filter((w) => w.routable).map((w) => w.workerId).sort();
  const liveIds = (): string[] => live().map((w) => w.workerIds[0]).sort();

  /** Starts one more worker process and waits until both routers route to exactly the live ones. */
  async function addWorker(): Promise<WorkerProcess> {
    const w = await startWorkerProcess(WORKER_FLAGS, { registryDir });
    workers.push(w);
    epochs.set(w.workerIds[0], (await dumpKvState(w.client())).epoch);
    for (const router of [migrating, strict]) {
      await waitUntil("the routers see exactly the live workers", async () => JSON.stringify(await routable(router)) === JSON.stringify(liveIds()));
    }
    return w;
  }

  before(async function () {
    requireStoriesModel(this);
    registryDir = mkdtempSync(join(tmpdir(), "kvmesh-router-fail-"));
    migrating = await startRouterProcess(registryDir, ["--kv-events", "grpc", "--migration-limit", "1"]);
    strict = await startRouterProcess(registryDir, ["--kv-events", "grpc", "--migration-limit", "0"]);
    for (let i = 0; i < 3; i++) await addWorker();
  });

  after(async () => {
    await migrating?.stop();
    await strict?.stop();
    await stopAllProcesses();
  });

  it("--migration-limit 1: every stream ends with exactly max_tokens, contiguous indexes, migrations 1 for the moved ones", async () => {
    const { outcomes, killed } = await killMidway(migrating, workers, 1000);
    killedIds.push(killed);
    const moved = outcomes.filter((o) => o.firstWorker === killed);
    expect(moved.length, "streams on the killed worker").to.be.greaterThan(0);
    outcomes.forEach((o, i) => {
      const last = expectWhole(o, `stream ${i}`);
      expect(last.workerId, `stream ${i}: final worker`).to.not.equal(killed);
      expect(last.migrations, `stream ${i}: migrations`).to.equal(o.firstWorker === killed ? 1 : 0);
      if (o.firstWorker !== killed) expect(last.workerId, `stream ${i}: an untouched stream stays put`).to.equal(o.firstWorker);
    });
  });

  it("--migration-limit 0: the lost worker's streams fail naming it; the others are untouched", async () => {
    await addWorker();
    const { outcomes, killed } = await killMidway(strict, live(), 2000);
    killedIds.push(killed);
    const lost = outcomes.filter((o) => o.firstWorker === killed);
    expect(lost.length, "streams on the killed worker").to.be.greaterThan(0);
    outcomes.forEach((o, i) => {
      if (o.firstWorker === killed) {
        expect(o.error, `stream ${i} on the killed worker fails`).to.not.equal(undefined);
        expect(o.error!.code, `stream ${i}: ${o.error!.message}`).to.be.oneOf([14, 13]); // UNAVAILABLE, INTERNAL
        expect(o.error!.details).to.contain(killed).and.contain("--migration-limit 0");
      } else {
        const last = expectWhole(o, `stream ${i}`);
        expect(last).to.include({ workerId: o.firstWorker, migrations: 0 });
      }
    });
  });

  it("a worker process started after the kills has a new epoch, and each router's index equals the live workers' DumpKvState", async () => {
    const fresh = await addWorker();
    const freshId = fresh.workerIds[0];
    expect([...epochs].filter(([id]) => id !== freshId).map(([, e]) => e), "a new epoch").to.not.include(epochs.get(freshId));
    // Fill every live worker's cache (the fresh one pinned), through both routers.
    for (const [i, router] of [migrating, strict].entries()) {
      await routerGenerate(router.client, { model: MODEL, workerId: freshId, tokenIds: prompt(3000 + i, 12 * BS), stop: { maxTokens: 4, stopTokenIds: [], ignoreEos: true } });
      for (let j = 0; j < 4; j++) await routerGenerate(router.client, { model: MODEL, tokenIds: prompt(3100 + 10 * i + j, 9 * BS), stop: { maxTokens: 4, stopTokenIds: [], ignoreEos: true } });
    }
    const expected = async (): Promise<string> => JSON.stringify(dumpsByWorker(await Promise.all(live().map((w) => dumpKvState(w.client())))));
    for (const router of [migrating, strict]) {
      await waitUntil("the router's index equal to the live workers' dumps", async () => JSON.stringify(indexByWorker(await dumpIndex(router.client, MODEL))) === (await expected()));
      const index = await dumpIndex(router.client, MODEL);
      expect(index.map((w) => w.workerId).sort()).to.deep.equal(liveIds());
      for (const id of killedIds) expect(index.map((w) => w.workerId), "no entry for a killed worker").to.not.include(id);
      for (const w of index) expect(w.epoch, `${w.workerId}: the epoch its process reports`).to.equal(epochs.get(w.workerId));
      expect(index.find((w) => w.workerId === freshId)!.sequenceHashes.length, "the fresh worker's blocks indexed").to.be.at.least(12);
    }
  });
});
