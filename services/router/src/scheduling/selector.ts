import { workerCost } from "./cost.js";
import type { CostRequest, WorkerCandidate, WorkerCostTerms } from "./cost.js";
import { NoWorkerError, OverloadedError } from "#common/errors.js";
import { createPolicy } from "./policies.js";
import type { PolicyOptions, SelectionPolicy } from "./policies.js";
import type { RoutingPolicy } from "./policy.js";
import { predictRoute } from "./route-prediction.js";
import type { RoutePrediction } from "./route-prediction.js";

export type { SelectionPolicy } from "./policies.js";

/** Everything a decision needs, as plain data. */
export interface SelectionInput extends CostRequest {
  /** Routable workers of the model, with their overlap and load. */
  readonly candidates: readonly WorkerCandidate[];
  /** ceil(isl / bs). */
  readonly requestBlocks: number;
  /** Choose this worker whatever its cost or load (a pinned request); it must be a candidate. */
  readonly pinnedWorkerId?: string;
  /** The request's full blocks (sequence hashes): what cache-aware's tree of routed prompts keys on. */
  readonly sequenceHashes?: readonly bigint[];
}

/** A decision and every worker's terms (Router.Route's dry run shows them). */
export interface RouteDecision {
  readonly workerId: string;
  /** Every candidate, busy ones included, in candidate order; `cost` is the policy's score. */
  readonly workers: WorkerCostTerms[];
  /** The longest cached prefix on any candidate, in blocks. */
  readonly bestOverlapBlocks: number;
  readonly requestBlocks: number;
  readonly blockSize: number;
  /** The routing record's predictions for the chosen worker (route-prediction.ts). */
  readonly prediction: RoutePrediction;
}

/** The decide seam: pure given its input (and the policy's own rng / counter / learned state). */
export interface WorkerSelector {
  /** Throws NoWorkerError without candidates, OverloadedError when every one is busy. */
  selectWorker(input: SelectionInput): RouteDecision;
  /** The decision for `input` is being sent to `workerId` (stateful policies learn it). */
  admitted(input: SelectionInput, workerId: string, requestId?: string): void;
  /** The request's first token came back. */
  firstToken(requestId: string): void;
  /** The request ended. */
  finished(requestId: string): void;
  /** A worker's TTFT calibration error (ttft policy only; undefined otherwise or before any first token). */
  ttftMape(workerId: string): number | undefined;
}

/** Options of `createSelector`. */
export type SelectorOptions = PolicyOptions;

/** Builds the selector for a policy. */
export function createSelector(policy: SelectionPolicy, options: SelectorOptions = {}): WorkerSelector {
  return selectorOf(createPolicy(policy, options));
}

/**
 * Score every candidate, apply pin / busy rules, and let the policy choose among the free ones.
 * Runs on every decision over every worker, so it builds plain literals (no spread or rest
 * copies, which were a third of a route's garbage) and loops instead of chaining arrays.
 */
export function selectorOf(policy: RoutingPolicy): WorkerSelector {
  return {
    selectWorker(input: SelectionInput): RouteDecision {
      const { candidates } = input;
      if (candidates.length === 0) throw new NoWorkerError("no routable worker for this model");
      const scores = policy.score?.(input);
      const workers: WorkerCostTerms[] = new Array<WorkerCostTerms>(candidates.length);
      let bestOverlapBlocks = 0;
      for (let i = 0; i < candidates.length; i++) {
        workers[i] = workerCost(candidates[i], input, scores?.[i]);
        bestOverlapBlocks = Math.max(bestOverlapBlocks, workers[i].overlapBlocks);
      }
      let workerId: string;
      if (input.pinnedWorkerId !== undefined) {
        if (!workers.some((w) => w.workerId === input.pinnedWorkerId)) {
          throw new NoWorkerError(`worker ${input.pinnedWorkerId} is not routable`);
        }
        workerId = input.pinnedWorkerId;
      } else {
        const free: number[] = [];
        for (let i = 0; i < candidates.length; i++) if (!workers[i].busy) free.push(i);
        if (free.length === 0) throw new OverloadedError("all workers are busy");
        workerId = candidates[policy.pick(input, free, workers)].workerId;
      }
      const chosen = workers.findIndex((w) => w.workerId === workerId);
      const prediction = predictRoute(workers, chosen, input.isl, input.blockSize, bestOverlapBlocks, chosen >= 0 ? policy.predictTtftSeconds?.(input, chosen) : undefined);
      return { workerId, workers, bestOverlapBlocks, requestBlocks: input.requestBlocks, blockSize: input.blockSize, prediction };
    },
    admitted(input: SelectionInput, workerId: string, requestId?: string): void {
      policy.admitted?.(input, workerId, requestId);
    },
    firstToken(requestId: string): void {
      policy.firstToken?.(requestId);
    },
    finished(requestId: string): void {
      policy.finished?.(requestId);
    },
    ttftMape(workerId: string): number | undefined {
      return policy.ttftMape?.(workerId);
    },
  };
}
