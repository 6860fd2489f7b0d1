/**
 * Seeded draws for workloads on top of common's one PRNG: seed mixing, normal draws, token ids
 * and Poisson gaps. Every generator takes a seed so the same flags give the same requests on
 * every run and every machine.
 */
import type { TokenRange } from "./types.js";

/** Uniform numbers in [0, 1) (from `seededRandom` in common). */
export type Rng = () => number;

/** A 32-bit seed mixed from several integers (murmur3's finaliser), so nearby keys give unrelated streams. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Split so keys beyond 2^32 (large hash ids) still change the seed.
    for (const word of [part >>> 0, Math.floor(part / 4294967296) >>> 0]) {
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** One draw of N(mean, std) (Box–Muller). */
export function normal(rng: Rng, mean: number, std: number): number {
  if (std === 0) return mean;
  const u = 1 - rng(); // (0, 1]: log(0) is not finite
  return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** A length drawn from N(mean, std), rounded and kept within [min, max]. */
export function drawLength(rng: Rng, mean: number, std: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  return Math.min(max, Math.max(min, Math.round(normal(rng, mean, std))));
}

/** `count` token ids uniform over the range. */
export function randomTokens(rng: Rng, count: number, range: TokenRange): number[] {
  const span = range.vocabSize - range.firstId;
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = range.firstId + Math.floor(rng() * span);
  return out;
}

/** An exponential inter-arrival gap in ms for a Poisson process of `ratePerS` requests per second. */
export function exponentialGapMs(rng: Rng, ratePerS: number): number {
  return (-Math.log(1 - rng()) / ratePerS) * 1000;
}
