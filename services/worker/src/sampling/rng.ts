/**
 * Per-request deterministic randomness. Each output position draws one uniform from a
 * counter-based splitmix64 keyed by (seed, output index), so a token depends only on its seed
 * and position: preemption (recompute) and migration (resume_from_index with the same seed)
 * reproduce exactly the tokens of an uninterrupted run.
 */
import { xxh3 } from "@node-rs/xxhash";

const MASK64 = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;

/** The splitmix64 finaliser: a bijective 64-bit mix. */
export function splitmix64(x: bigint): bigint {
  let z = (x + GOLDEN) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** A uniform in [0, 1) for output position `index` of the stream seeded with `seed`. */
export function uniformAt(seed: bigint, index: number): number {
  const x = splitmix64((seed & MASK64) ^ splitmix64(BigInt(index)));
  return Number(x >> 11n) / 2 ** 53;
}

/** The seed of a request that did not set one: a hash of its id, so reruns of the id agree. */
export function seedFromRequestId(requestId: string): bigint {
  return xxh3.xxh64(Buffer.from(requestId, "utf8"), 0x6b766d657368n);
}
