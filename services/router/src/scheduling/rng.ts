/** A source of uniform numbers in [0, 1); injected so routing with temperature is reproducible. */
import { seededRandom } from "#common/seeded-random.js";

/** A uniform generator in [0, 1). */
export type Rng = () => number;

/** The shared seeded generator (common/seeded-random.ts); routing needs nothing cryptographic. */
export function seededRng(seed: number): Rng {
  return seededRandom(seed);
}
