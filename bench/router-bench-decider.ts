// The router's own decision path for bench/router-bench.ts: Decider.plan (registry views,
// supplied block hashes, index walk, load, selector) + admit, as Router.Generate runs it, over
// the benchmark's index, in any --router-mode; also the decider the gRPC server serves.
import type { RouteQuestion, RouterMode } from "../services/router/src/decider.js";
import { Decider } from "../services/router/src/decider.js";
import type { KvIndexer } from "../services/router/src/indexer/kv-indexer.js";
import { seededRng } from "../services/router/src/scheduling/rng.js";
import { createSelector } from "../services/router/src/scheduling/selector.js";
import { ActiveSequences } from "../services/router/src/sequences/active-sequences.js";
import { WorkerRegistry } from "../services/router/src/workers/worker-registry.js";
import type { BenchPrompt } from "./router-bench-workload.js";

/** Model name the benchmark's workers serve. */
export const BENCH_MODEL = "bench";

/** A `mode` decider over `index` with `workerIds` discovered, carded and reporting light load. */
export function benchDecider(index: KvIndexer, workerIds: readonly string[], blockSize: number, mode: RouterMode = "kv"): Decider {
  const registry = new WorkerRegistry();
  for (const workerId of workerIds) {
    registry.discovered({ workerId, model: BENCH_MODEL, address: "127.0.0.1:1" });
    registry.cardReceived(workerId, blockSize);
    registry.setLoad(workerId, { blocksActive: 100, blocksCachedFree: 0, blocksTotal: 20_000, running: 1, waiting: 0, epoch: 1n, lastEventId: 0n });
  }
  const selector = createSelector(mode === "direct" ? "kv" : mode, { rng: seededRng(7) });
  return new Decider({ mode, registry, indexFor: () => index, sequences: new ActiveSequences(() => 0), selector, overlapWeight: 1, busyThreshold: 0.95 });
}

/** How the measured calls are made. */
export interface DeciderRun {
  readonly routes: number;
  readonly warmup: number;
  /** Send the prompts' block hashes (as the preprocessor does); false: the router hashes. */
  readonly supplied: boolean;
  /** Pin every request to a worker (direct mode needs one), in turn. */
  readonly pinTo?: readonly string[];
}

/** Wall-clock and process-CPU ms of each measured plan + admit, 64 requests in flight. */
export interface DeciderTimes {
  readonly wallMs: number[];
  readonly cpuMs: number[];
}

/** The i-th question of a run. */
function questionOf(prompts: readonly BenchPrompt[], run: DeciderRun, i: number): RouteQuestion {
  const prompt = prompts[i % prompts.length];
  return { model: BENCH_MODEL, tokenIds: prompt.tokenIds, blockHashes: run.supplied ? prompt.blockHashes : undefined, pinnedWorkerId: run.pinTo?.[i % run.pinTo.length] };
}

/**
 * Decision `i` of a run untimed (plan + admit, and the finish of decision i − 64), for counting
 * what a decision allocates; `i` continues past the timed run's ids.
 */
export function decideOnce(decider: Decider, prompts: readonly BenchPrompt[], run: DeciderRun, i: number): void {
  decider.admit(`d${i}`, decider.plan(questionOf(prompts, run, i)));
  if (i >= 64) decider.finish(`d${i - 64}`);
}

/** `run.routes` plan + admit calls (after `run.warmup` more), 64 requests in flight. */
export function measureDecider(decider: Decider, prompts: readonly BenchPrompt[], run: DeciderRun): DeciderTimes {
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < run.routes + run.warmup; i++) {
    const question = questionOf(prompts, run, i);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const plan = decider.plan(question);
    decider.admit(`d${i}`, plan);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    if (i >= run.warmup) {
      wallMs.push(ms);
      cpuMs.push((cpu.user + cpu.system) / 1000);
    }
    if (i >= 64) decider.finish(`d${i - 64}`);
  }
  return { wallMs, cpuMs };
}
