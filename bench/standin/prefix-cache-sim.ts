/**
 * The stand-in server's make-believe fleet: N workers, each with an unbounded prefix cache, and
 * a routing policy. It lets the stand-in answer with realistic `cached_tokens` (and different
 * ones per policy), so a compare can be exercised end to end without the mesh.
 */
import { cacheableBlockCount, hashBlocks } from "#common/kv-hash.js";
import { seededRandom } from "#common/seeded-random.js";

/** The policies the simulation knows (the router's names). */
export const SIM_POLICIES = ["kv", "round-robin", "random"] as const;
/** One of {@link SIM_POLICIES}. */
export type SimPolicy = (typeof SIM_POLICIES)[number];

/** Where a request went and what it found cached. */
export interface SimDecision {
  readonly workerId: string;
  readonly cachedTokens: number;
}

/** The simulated fleet. */
export interface PrefixCacheSim {
  route(prompt: readonly number[]): SimDecision;
}

/** A fleet of `workers` workers with block size `blockSize`, routing by `policy` (random: seeded). */
export function createPrefixCacheSim(workers: number, blockSize: number, policy: SimPolicy, seed = 1): PrefixCacheSim {
  const caches = Array.from({ length: workers }, () => new Set<bigint>());
  const served = new Array<number>(workers).fill(0);
  const rng = seededRandom(seed);
  let next = 0;
  const overlap = (w: number, sequence: readonly bigint[], max: number): number => {
    let hit = 0;
    while (hit < max && caches[w].has(sequence[hit])) hit++;
    return hit;
  };
  return {
    route(prompt) {
      const { sequence } = hashBlocks(prompt, blockSize);
      const max = cacheableBlockCount(prompt.length, blockSize);
      let chosen: number;
      if (policy === "round-robin") chosen = next++ % workers;
      else if (policy === "random") chosen = Math.floor(rng() * workers);
      else {
        chosen = 0;
        for (let w = 1; w < workers; w++) {
          const better = overlap(w, sequence, max) - overlap(chosen, sequence, max);
          if (better > 0 || (better === 0 && served[w] < served[chosen])) chosen = w;
        }
      }
      const cachedTokens = overlap(chosen, sequence, max) * blockSize;
      for (const h of sequence) caches[chosen].add(h);
      served[chosen]++;
      return { workerId: `standin-${chosen}`, cachedTokens };
    },
  };
}
