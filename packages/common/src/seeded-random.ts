/**
 * The one seeded PRNG of kvmesh (mulberry32): small, fast, 32-bit integer arithmetic only, so
 * the same seed gives the same numbers on every machine. Not cryptographic; seeded routing,
 * weight generation, workloads and tests need none.
 */

/** Uniform 32-bit unsigned integers, a pure function of `seed`. */
export function seededUint32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform numbers in [0, 1), a pure function of `seed`. */
export function seededRandom(seed: number): () => number {
  const next = seededUint32(seed);
  return () => next() / 4294967296;
}
