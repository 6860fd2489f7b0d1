/**
 * The prefix reuse a workload offers, from its own structure and independent of any router:
 * for each request in send order, the longest prefix in whole blocks that some earlier request
 * already sent. With one unbounded cache this is what a perfect router could deliver, so it is
 * the yardstick of the delivered hit rate.
 */
import { cacheableBlockCount, hashBlocks } from "#common/kv-hash.js";

/** The reuse of a set of prompts. */
export interface AvailableReuse {
  /** Σ reusable tokens over requests. */
  readonly reusableTokens: number;
  readonly promptTokens: number;
  /** reusableTokens / promptTokens (0 with no prompt tokens). */
  readonly ratio: number;
  /** Per request, in the order given. */
  readonly perRequest: readonly number[];
}

/**
 * Reuse of `prompts` (in send order) at `blockSize`. A request's reusable tokens are its
 * leading full blocks whose prefix was sent before × blockSize, capped as the worker caps
 * cached tokens (at most floor((len − 1) / bs) blocks: at least one prompt token is computed), so delivered ≤
 * available holds for an ideal cache. Uses the mesh's own block hash, so "a block" means what
 * the router and the worker mean by it.
 */
export function availableReuse(prompts: Iterable<ArrayLike<number>>, blockSize: number): AvailableReuse {
  // A sequence hash names a whole prefix, so one set of them stands for every prefix sent.
  const seen = new Set<bigint>();
  const perRequest: number[] = [];
  let reusableTokens = 0;
  let promptTokens = 0;
  for (const prompt of prompts) {
    const { sequence } = hashBlocks(prompt, blockSize);
    const maxBlocks = cacheableBlockCount(prompt.length, blockSize);
    let hit = 0;
    while (hit < maxBlocks && seen.has(sequence[hit])) hit++;
    for (const h of sequence) seen.add(h);
    const reusable = hit * blockSize;
    perRequest.push(reusable);
    reusableTokens += reusable;
    promptTokens += prompt.length;
  }
  return { reusableTokens, promptTokens, ratio: promptTokens === 0 ? 0 : reusableTokens / promptTokens, perRequest };
}
