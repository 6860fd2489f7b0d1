/**
 * `prefix-load-scorer` (llm-d's precise-prefix profile, its earlier default): score =
 * 3 × prefix + 2 × queue + 2 × kv, highest wins, ties broken at random. prefix = matched blocks
 * ÷ request blocks (exact index), clipped to [0, 1]; queue = (maxQ − q) ÷ (maxQ − minQ) over the
 * candidates, 1 when all are equal, q = the worker's waiting requests; kv = 1 − blocks_active ÷
 * blocks_total from its load report.
 */
import { COST_EPSILON } from "./kv-pick.js";
import type { RoutingPolicy } from "./policy.js";
import type { Rng } from "./rng.js";
import type { SelectionInput } from "./selector.js";

/** The weights of the blend. */
export const PREFIX_WEIGHT = 3;
export const QUEUE_WEIGHT = 2;
export const KV_WEIGHT = 2;

/** The three parts of each candidate's score, and the score. */
export interface PrefixLoadTerms {
  readonly prefix: number;
  readonly queue: number;
  readonly kv: number;
  readonly score: number;
}

/** Every candidate's terms, candidate order. */
export function prefixLoadTerms(input: SelectionInput): PrefixLoadTerms[] {
  const waiting = input.candidates.map((c) => c.waiting);
  const maxQ = Math.max(...waiting);
  const minQ = Math.min(...waiting);
  return input.candidates.map((c) => {
    const prefix = input.requestBlocks <= 0 ? 0 : Math.min(1, Math.max(0, c.overlapBlocks / input.requestBlocks));
    const queue = maxQ === minQ ? 1 : (maxQ - c.waiting) / (maxQ - minQ);
    const kv = 1 - Math.min(1, Math.max(0, c.kvUsage));
    return { prefix, queue, kv, score: PREFIX_WEIGHT * prefix + QUEUE_WEIGHT * queue + KV_WEIGHT * kv };
  });
}

/** The `prefix-load-scorer` policy: the highest score; equal scores (within 1e-5) drawn uniformly by `rng`. */
export function createPrefixLoadScorer(rng: Rng): RoutingPolicy {
  return {
    score: (input) => prefixLoadTerms(input).map((t) => t.score),
    pick: (_input, free, terms) => {
      let best = -Infinity;
      for (const i of free) best = Math.max(best, terms[i].cost);
      const top = free.filter((i) => best - terms[i].cost <= COST_EPSILON);
      return top[Math.min(top.length - 1, Math.floor(rng() * top.length))];
    },
  };
}
