/**
 * `cache-aware` (SGLang's router): when the load is imbalanced (max − min requests in flight >
 * 64 and max > 1.5 × min) pick the least loaded; otherwise the worker whose tree of routed
 * prompts matches the longest prefix, if matched ÷ prompt > 0.3 (ties: fewer in flight), else
 * the least loaded. Every sent request is inserted into the tree for its worker.
 */
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
  const max = Math.max(...inFlight);
  const min = Math.min(...inFlight);
  return max - min > BALANCE_ABS_THRESHOLD && max > BALANCE_REL_THRESHOLD * min;
}

/** The free candidate with the fewest requests in flight (ties: lowest worker id). */
function leastLoaded(input: SelectionInput, among: readonly number[]): number {
  let best = among[0];
  for (const i of among) {
    const c = input.candidates[i];
    const b = input.candidates[best];
    if (c.requestsInFlight < b.requestsInFlight || (c.requestsInFlight === b.requestsInFlight && c.workerId < b.workerId)) best = i;
  }
  return best;
}

/** The `cache-aware` policy with its own tree; score = tokens the tree matched per worker. */
export function createCacheAware(options: CacheAwareOptions = {}): RoutingPolicy {
  const tree = new RoutedPromptTree(options.now ?? (() => performance.now()), options.maxTreeEntries ?? DEFAULT_TREE_MAX_ENTRIES);
  const matchedTokens = (input: SelectionInput): number[] => {
    const matched = tree.match(input.sequenceHashes ?? []);
    return input.candidates.map((c) => Math.min(input.isl, (matched.get(c.workerId) ?? 0) * input.blockSize));
  };
  return {
    score: matchedTokens,
    pick: (input, free, terms) => {
      if (isImbalanced(free.map((i) => input.candidates[i].requestsInFlight))) return leastLoaded(input, free);
      const best = Math.max(...free.map((i) => terms[i].cost));
      if (input.isl === 0 || best / input.isl <= CACHE_THRESHOLD) return leastLoaded(input, free);
      return leastLoaded(input, free.filter((i) => terms[i].cost === best));
    },
    admitted: (input, workerId) => tree.insert(input.sequenceHashes ?? [], workerId),
  };
}
