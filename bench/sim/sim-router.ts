/**
 * The router's own decide code for the simulator: the worker registry, the exact KV index fed
 * by the simulated workers' events, the load bookkeeping and the selector, wired as
 * services/router/src/router.ts wires them, minus gRPC and discovery.
 */
import { Decider } from "../../services/router/src/decider.js";
import type { ReservationHook } from "../../services/router/src/replicas/reservation-hook.js";
import type { RouterQueueSettings } from "../../services/router/src/decider.js";
import { KvIndexer } from "../../services/router/src/indexer/kv-indexer.js";
import type { KvEventData } from "../../services/router/src/indexer/types.js";
import type { SelectionPolicy } from "../../services/router/src/scheduling/policies.js";
import { seededRng } from "../../services/router/src/scheduling/rng.js";
import { createSelector } from "../../services/router/src/scheduling/selector.js";
import { ActiveSequences } from "../../services/router/src/sequences/active-sequences.js";
import { WorkerRegistry } from "../../services/router/src/workers/worker-registry.js";

/** The model name the simulated workers serve. */
export const SIM_MODEL = "sim";

/** The router half of a simulation (one router, or N replicas behind one facade: sim-replicas.ts). */
export interface SimRouter {
  readonly decider: Pick<Decider, "plan" | "admit" | "firstToken" | "finish">;
  readonly registry: Pick<WorkerRegistry, "setLoad">;
  /** A worker's KV events, in order, as the event plane would apply them. */
  applyEvents(workerId: string, events: readonly KvEventData[]): void;
}

/** One router's parts, whole (replicas re-decide samples through its decider and registry). */
export interface SimRouterParts extends SimRouter {
  readonly decider: Decider;
  readonly registry: WorkerRegistry;
}

/** Options of {@link createSimRouter}. */
export interface SimRouterOptions {
  readonly policy: SelectionPolicy;
  readonly workerIds: readonly string[];
  readonly blockSize: number;
  readonly seed: number;
  /** token-load's τ basis, from the simulated workers' timing. */
  readonly peakPrefillTokensPerS: number;
  /** token-load's τ in seconds of peak prefill (undefined: llm-d's 14). */
  readonly tokenLoadStickySeconds?: number;
  /** The workers' --max-batched-tokens (ttft's chunk). */
  readonly chunkTokens: number;
  /** The simulated clock, ms. */
  readonly now: () => number;
  /** Router replicas: the load tracker this router uses, and the hook its decisions report to. */
  readonly sequences?: ActiveSequences;
  readonly reservations?: ReservationHook;
  /** The router queue (late binding); undefined: decide on arrival. */
  readonly queue?: Omit<RouterQueueSettings, "now" | "exited">;
}

/** Builds the router parts for one simulated run; throws when the index asks for a resync (a bug here). */
export function createSimRouter(options: SimRouterOptions): SimRouterParts {
  const { now } = options;
  const registry = new WorkerRegistry(now);
  for (const workerId of options.workerIds) {
    registry.discovered({ workerId, model: SIM_MODEL, address: `sim:${workerId}` });
    registry.cardReceived(workerId, options.blockSize);
  }
  const index = new KvIndexer();
  const selector = createSelector(options.policy, {
    rng: seededRng(options.seed),
    peakPrefillTokensPerS: options.peakPrefillTokensPerS,
    tokenLoadStickySeconds: options.tokenLoadStickySeconds,
    chunkTokens: options.chunkTokens,
    now,
    cacheAware: { now },
  });
  const decider = new Decider({
    mode: options.policy, registry, indexFor: () => index, sequences: options.sequences ?? new ActiveSequences(now), selector, overlapWeight: 1,
    reservations: options.reservations,
    queue: options.queue === undefined ? undefined : { ...options.queue, now },
  });
  return {
    decider,
    registry,
    applyEvents(workerId, events) {
      if (events.length === 0) return;
      const result = index.applyEvents(workerId, events);
      if (result.unknownParent) throw new Error(`simulated worker ${workerId}: index needs a resync (unknown-parent)`);
    },
  };
}
