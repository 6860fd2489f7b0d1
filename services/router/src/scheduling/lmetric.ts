/**
 * `lmetric` (LMetric, 2026; also one of Dynamo's selection policies): score = (uncached tokens
 * in flight + this request's uncached tokens) × (requests in flight + 1), lowest wins. The
 * product makes a worker with a short queue of long prefills and one with a long queue of
 * short ones pay alike.
 */
import { cachedTokens, lowestScore } from "./policy.js";
import type { RoutingPolicy } from "./policy.js";
import type { SelectionInput } from "./selector.js";

/** The lmetric score of every candidate. */
export function lmetricScores(input: SelectionInput): number[] {
  return input.candidates.map((c, i) => (c.activePrefillTokens + input.isl - cachedTokens(input, i)) * (c.requestsInFlight + 1));
}

/** The `lmetric` policy. */
export function createLmetric(): RoutingPolicy {
  return { score: lmetricScores, pick: (input, free, terms) => lowestScore(input, free, terms.map((t) => t.cost)) };
}
