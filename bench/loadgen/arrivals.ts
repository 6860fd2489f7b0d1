/** Open-loop arrivals: chains due at the times of a seeded Poisson process. */
import { seededRandom } from "#common/seeded-random.js";
import { exponentialGapMs } from "../workloads/rng.js";
import type { RequestChain } from "../workloads/types.js";

/** `chains` with `atMs` set by a Poisson process of `ratePerS` chains a second (seeded). */
export function withPoissonArrivals(chains: readonly RequestChain[], ratePerS: number, seed: number): RequestChain[] {
  if (!(ratePerS > 0)) throw new RangeError("request rate must be positive");
  const rng = seededRandom(seed);
  let at = 0;
  return chains.map((chain, i) => {
    if (i > 0) at += exponentialGapMs(rng, ratePerS);
    return { ...chain, atMs: at };
  });
}
