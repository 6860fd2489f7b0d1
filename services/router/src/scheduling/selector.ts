import { workerCost } from "./cost.js";
import type { CostRequest, WorkerCandidate, WorkerCostTerms } from "./cost.js";
import { NoWorkerError, OverloadedError } from "#common/errors.js";
import { pickLowestCost, pickSoftmax } from "./kv-pick.js";
import type { Pickable } from "./kv-pick.js";
import type { Rng } from "./rng.js";

/** Routing policies that choose among workers (`direct` is a pin, handled by the caller). */
export type SelectionPolicy = "kv" | "round-robin" | "random";

/** Everything a decision needs, as plain data. */
export interface SelectionInput extends CostRequest {
  /** Routable workers of the model, with their overlap and load. */
  readonly candidates: readonly WorkerCandidate[];
  /** ceil(isl / bs). */
  readonly requestBlocks: number;
  /** Choose this worker whatever its cost or load (a pinned request); it must be a candidate. */
  readonly pinnedWorkerId?: string;
}

/** A decision and every worker's terms (Router.Route's dry run shows them). */
export interface RouteDecision {
  readonly workerId: string;
  /** Every candidate, busy ones included, in candidate order. */
  readonly workers: WorkerCostTerms[];
  /** The longest cached prefix on any candidate, in blocks. */
  readonly bestOverlapBlocks: number;
  readonly requestBlocks: number;
  readonly blockSize: number;
}

/** The decide seam: pure given its input (and the policy's own rng / counter). */
export interface WorkerSelector {
  /** Throws NoWorkerError without candidates, OverloadedError when every one is busy. */
  selectWorker(input: SelectionInput): RouteDecision;
}

/** Options of `createSelector`. */
export interface SelectorOptions {
  /** --router-temperature; 0 is deterministic. */
  readonly temperature?: number;
  /** Needed by `random` and by `kv` with temperature > 0. */
  readonly rng?: Rng;
}

/** Builds the selector for a policy. */
export function createSelector(policy: SelectionPolicy, options: SelectorOptions = {}): WorkerSelector {
  const rng = options.rng ?? Math.random;
  const temperature = options.temperature ?? 0;
  if (policy === "kv") {
    return decideWith((free) => (temperature > 0 ? pickSoftmax(free, temperature, rng) : pickLowestCost(free)).workerId);
  }
  if (policy === "random") return decideWith((free) => free[Math.floor(rng() * free.length)].workerId);
  let next = 0;
  return decideWith((free) => {
    // Worker-id order, so the rotation does not depend on the order discovery lists them.
    const ordered = [...free].sort((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0));
    return ordered[next++ % ordered.length].workerId;
  });
}

/**
 * Score every candidate, apply pin / busy rules, and let `pick` choose among the free ones.
 * Runs on every decision over every worker, so it builds plain literals (no spread or rest
 * copies, which were a third of a route's garbage) and loops instead of chaining arrays.
 */
function decideWith(pick: (free: Pickable[]) => string): WorkerSelector {
  return {
    selectWorker(input: SelectionInput): RouteDecision {
      const { candidates } = input;
      if (candidates.length === 0) throw new NoWorkerError("no routable worker for this model");
      const workers: WorkerCostTerms[] = new Array<WorkerCostTerms>(candidates.length);
      let bestOverlapBlocks = 0;
      for (let i = 0; i < candidates.length; i++) {
        workers[i] = workerCost(candidates[i], input);
        bestOverlapBlocks = Math.max(bestOverlapBlocks, workers[i].overlapBlocks);
      }
      let workerId: string;
      if (input.pinnedWorkerId !== undefined) {
        if (!workers.some((w) => w.workerId === input.pinnedWorkerId)) {
          throw new NoWorkerError(`worker ${input.pinnedWorkerId} is not routable`);
        }
        workerId = input.pinnedWorkerId;
      } else {
        const free: Pickable[] = [];
        for (let i = 0; i < candidates.length; i++) {
          const w = workers[i];
          if (!w.busy) free.push({ workerId: w.workerId, cost: w.cost, indexedBlocks: candidates[i].indexedBlocks });
        }
        if (free.length === 0) throw new OverloadedError("all workers are busy");
        workerId = pick(free);
      }
      return { workerId, workers, bestOverlapBlocks, requestBlocks: input.requestBlocks, blockSize: input.blockSize };
    },
  };
}
