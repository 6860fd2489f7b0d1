// The router's own decision path for bench/router-bench.ts: Decider.plan (registry views,
// hashing, index walk, load, selector) + admit, as Router.Generate runs it, over the
// benchmark's index; also the decider the gRPC part serves.
import { Decider } from "../services/router/src/decider.js";
import type { KvIndexer } from "../services/router/src/indexer/kv-indexer.js";
import { createSelector } from "../services/router/src/scheduling/selector.js";
import { ActiveSequences } from "../services/router/src/sequences/active-sequences.js";
import { WorkerRegistry } from "../services/router/src/workers/worker-registry.js";

/** Model name the benchmark's workers serve. */
export const BENCH_MODEL = "bench";

/** A kv-mode decider over `index` with `workerIds` discovered, carded and reporting light load. */
export function benchDecider(index: KvIndexer, workerIds: readonly string[], blockSize: number): Decider {
  const registry = new WorkerRegistry();
  for (const workerId of workerIds) {
    registry.discovered({ workerId, model: BENCH_MODEL, address: "127.0.0.1:1" });
    registry.cardReceived(workerId, blockSize);
    registry.setLoad(workerId, { blocksActive: 100, blocksCachedFree: 0, blocksTotal: 20_000, running: 1, waiting: 0, epoch: 1n, lastEventId: 0n });
  }
  return new Decider({
    mode: "kv", registry, indexFor: () => index, sequences: new ActiveSequences(() => 0), selector: createSelector("kv"), overlapWeight: 1, busyThreshold: 0.95,
  });
}

/** Wall-clock ms of `routes` plan + admit calls (after `warmup` more), 64 requests in flight. */
export function measureDecider(decider: Decider, prompts: readonly number[][], routes: number, warmup: number): number[] {
  const latencies: number[] = [];
  for (let i = 0; i < routes + warmup; i++) {
    const t0 = process.hrtime.bigint();
    const plan = decider.plan({ model: BENCH_MODEL, tokenIds: prompts[i % prompts.length] });
    decider.admit(`d${i}`, plan);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= warmup) latencies.push(ms);
    if (i >= 64) decider.finish(`d${i - 64}`);
  }
  return latencies;
}
