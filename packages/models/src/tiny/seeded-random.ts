/**
 * The tiny model's weight source: a 32-bit integer PRNG (mulberry32) mapped to floats with
 * exact arithmetic only, so every machine and Node version produces the same weight bytes
 * (no Math.sin / Math.log, whose last bits may differ between platforms).
 */
import { seededUint32 } from "#common/seeded-random.js";

/** Returns a function yielding uniform floats in [-1, 1), a pure function of `seed`. */
export function seededUniform(seed: number): () => number {
  const next = seededUint32(seed);
  return () => next() / 2147483648 - 1;
}

/** `count` float32 values uniform in [-scale, scale), drawn from `random`. */
export function uniformWeights(random: () => number, count: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = random() * scale;
  return out;
}
