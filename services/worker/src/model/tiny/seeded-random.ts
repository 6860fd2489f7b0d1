/**
 * The tiny model's weight source: a 32-bit integer PRNG (mulberry32) mapped to floats with
 * exact arithmetic only, so every machine and Node version produces the same weight bytes
 * (no Math.sin / Math.log, whose last bits may differ between platforms).
 */

/** Returns a function yielding uniform floats in [-1, 1), a pure function of `seed`. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u32 = (t ^ (t >>> 14)) >>> 0;
    return u32 / 2147483648 - 1;
  };
}

/** `count` float32 values uniform in [-scale, scale), drawn from `random`. */
export function uniformWeights(random: () => number, count: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = random() * scale;
  return out;
}
