/**
 * `cache-aware` (SGLang's router): when the load is imbalanced (max − min requests in flight >
 * 64 and max > 1.5 × min) pick the least loaded; otherwise the worker whose tree of routed
 * prompts matches the longest prefix, if matched ÷ prompt > 0.3 (ties: fewer in flight), else
 * the least loaded. Every sent request is inserted into the tree for its worker.
 */
import type { WorkerCostTerms } from "./cost.js";
import type { RoutingPolicy } from "./policy.js";
import { RoutedPromptTree } from "./routed-prompt-tree.js";
import type { SelectionInput } from "./selector.js";

/** Imbalanced when max − min in-flight requests exceeds this… */
export const BALANCE_ABS_THRESHOLD = 64;
/** …and max exceeds this multiple of min. */
export const BALANCE_REL_THRESHOLD = 1.5;
/** The matched share of the prompt above which the cache wins. */
export const CACHE_THRESHOLD = 0.3;
/** Default tree cap in (block, worker) entries: 2^22 blocks of 64 tokens ≈ SGLang's 2^26 characters order. */
export const DEFAULT_TREE_MAX_ENTRIES = 1 << 22;

/** Options of cache-aware. */
export interface CacheAwareOptions {
  /** Clock in ms for the tree's LRU (default performance.now). */
  readonly now?: () => number;
  /** Tree cap after each trim, in (block, worker) entries. */
  readonly maxTreeEntries?: number;
}

/** Whether the in-flight counts are imbalanced by SGLang's two thresholds. */
export function isImbalanced(inFlight: readonly number[]): boolean {
  let max = -Infinity;
  let min = Infinity;
  for (const n of inFlight) {
    max = Math.max(max, n);
    min = Math.min(min, n);
  }
  return spreadIsImbalanced(max, min);
}

function spreadIsImbalanced(max: number, min: number): boolean {
  return max - min > BALANCE_ABS_THRESHOLD && max > BALANCE_REL_THRESHOLD * min;
}

/** The free candidate with the fewest requests in flight (ties: lowest worker id), among those scoring `only` when given. */
function leastLoaded(input: SelectionInput, among: readonly number[], scores?: readonly WorkerCostTerms[], only?: number): number {
  let best = -1;
  for (const i of among) {
    if (scores !== undefined && scores[i].cost !== only) continue;
    const c = input.candidates[i];
    const b = best < 0 ? undefined : input.candidates[best];
    if (b === undefined || c.requestsInFlight < b.requestsInFlight || (c.requestsInFlight === b.requestsInFlight && c.workerId < b.workerId)) best = i;
  }
  return best;
}

/** The `cache-aware` policy with its own tree; score = tokens the tree matched per worker. */
export function createCacheAware(options: CacheAwareOptions = {}): RoutingPolicy {
  const tree = new RoutedPromptTree(options.now ?? (() => performance.now()), options.maxTreeEntries ?? DEFAULT_TREE_MAX_ENTRIES);
  const matchedTokens = (input: SelectionInput): number[] => {
    const runs = tree.matchEach(input.sequenceHashes ?? [], input.candidates);
    for (let i = 0; i < runs.length; i++) runs[i] = Math.min(input.isl, runs[i] * input.blockSize);
    return runs;
  };
  return {
    score: matchedTokens,
    // Loops, not free.map / filter / spread: this runs on every decision over every worker.
    pick: (input, free, terms) => {
      let max = -Infinity;
      let min = Infinity;
      let best = -Infinity;
      for (const i of free) {
        max = Math.max(max, input.candidates[i].requestsInFlight);
        min = Math.min(min, input.candidates[i].requestsInFlight);
        best = Math.max(best, terms[i].cost);
      }
      if (spreadIsImbalanced(max, min)) return leastLoaded(input, free);
      if (input.isl === 0 || best / input.isl <= CACHE_THRESHOLD) return leastLoaded(input, free);
      return leastLoaded(input, free, terms, best);
    },
    admitted: (input, workerId) => tree.insert(input.sequenceHashes ?? [], workerId),
  };
}
