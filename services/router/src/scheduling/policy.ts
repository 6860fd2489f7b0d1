/** The seam every routing policy implements (one file per policy; the selector applies pins and busy). */
import type { WorkerCostTerms } from "./cost.js";
import { lowestCostIndex } from "./kv-pick.js";
import type { SelectionInput } from "./selector.js";

/** One routing policy. Decide stays pure: only `admitted` may change its state. */
export interface RoutingPolicy {
  /**
   * The predicted time to first token of candidate `index` (into input.candidates), in seconds,
   * for the routing record; only policies with a TTFT model (ttft). Not the score: a policy may
   * rank by more than the request's own TTFT (ttft adds the reuse a cold pick gives up).
   */
  predictTtftSeconds?(input: SelectionInput, index: number): number;
  /**
   * Each candidate's score in the policy's own unit, candidate order (Route shows it as `cost`);
   * absent: Route shows the KV cost.
   */
  score?(input: SelectionInput): number[];
  /**
   * The index (into input.candidates) of the chosen worker. `free` holds the indices of the
   * candidates that are not busy, never empty; `terms` are the scored terms, candidate order.
   */
  pick(input: SelectionInput, free: readonly number[], terms: readonly WorkerCostTerms[]): number;
  /** The decision is being sent (cache-aware's tree of routed prompts learns it here). */
  admitted?(input: SelectionInput, workerId: string, requestId?: string): void;
  /** A sent request's first token came back (ttft calibrates on it). */
  firstToken?(requestId: string): void;
  /** A sent request ended (after or without a first token). */
  finished?(requestId: string): void;
  /** ttft: a worker's mean absolute percentage error of predicted vs observed TTFT (undefined before any). */
  ttftMape?(workerId: string): number | undefined;
}

/**
 * Lowest score among `free`: costs within 1e-5 tie, ties to the emptier cache (fewest indexed
 * blocks), then the lowest worker id, the KV policy's rule (kv-pick.ts), so the peer policies
 * break ties the same deterministic way.
 */
export function lowestScore(input: SelectionInput, free: readonly number[], scores: readonly number[]): number {
  return lowestCostIndex(free, input.candidates, (i) => scores[i]);
}

/** Tokens of the prompt cached on the candidate, by the index: min(isl, overlap × bs). */
export function cachedTokens(input: SelectionInput, i: number): number {
  return Math.min(input.isl, input.candidates[i].overlapBlocks * input.blockSize);
}
