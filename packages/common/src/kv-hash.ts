import { xxh3 } from "@node-rs/xxhash";

/** Seed of every kvmesh block hash (ARCHITECTURE.md, Block hashing). */
export const KV_HASH_SEED = 1337n;

/** Hash of one block's tokens alone. Distinct from SequenceHash so the two are never mixed up. */
export type LocalBlockHash = bigint & { readonly __brand: "LocalBlockHash" };
/** Hash of a block chained with every block before it: identifies a prefix. */
export type SequenceHash = bigint & { readonly __brand: "SequenceHash" };

/** The hashes of a sequence's full blocks, in order. */
export interface BlockHashes {
  readonly local: LocalBlockHash[];
  readonly sequence: SequenceHash[];
}

/**
 * Hashing runs once per block on every routing decision and every worker step, so the bytes
 * are written into reused scratch arrays instead of a fresh Buffer per block: the native hash
 * reads them synchronously, and per-block garbage showed up as scavenge pauses in the router's
 * p99 (bench/results/router.md). Typed-array views write little-endian only on a
 * little-endian host; elsewhere a DataView does.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
let tokenBytes = new Uint8Array(0);
let tokenWords = new Uint32Array(0);
let tokenView = new DataView(tokenBytes.buffer);
const pairBytes = new Uint8Array(16);
const pairWords = new BigUint64Array(pairBytes.buffer);
const pairView = new DataView(pairBytes.buffer);

/** XXH3-64 (seed 1337) over the block's token ids as little-endian uint32. */
export function localBlockHash(tokens: ArrayLike<number>, start = 0, end = tokens.length): LocalBlockHash {
  const n = end - start;
  // Sized exactly (the hash covers the whole array); block sizes rarely change within a process.
  if (tokenWords.length !== n) {
    tokenBytes = new Uint8Array(n * 4);
    tokenWords = new Uint32Array(tokenBytes.buffer);
    tokenView = new DataView(tokenBytes.buffer);
  }
  if (LITTLE_ENDIAN) for (let i = 0; i < n; i++) tokenWords[i] = tokens[start + i];
  else for (let i = 0; i < n; i++) tokenView.setUint32(i * 4, tokens[start + i] >>> 0, true);
  return xxh3.xxh64(tokenBytes, KV_HASH_SEED) as LocalBlockHash;
}

/** seq[i] = XXH3-64(seed 1337, [seq[i-1] as u64 LE, local[i] as u64 LE]); seq[0] = local[0]. */
export function chainSequenceHash(parent: SequenceHash | undefined, local: LocalBlockHash): SequenceHash {
  if (parent === undefined) return local as unknown as SequenceHash;
  if (LITTLE_ENDIAN) {
    pairWords[0] = parent;
    pairWords[1] = local;
  } else {
    pairView.setBigUint64(0, parent, true);
    pairView.setBigUint64(8, local, true);
  }
  return xxh3.xxh64(pairBytes, KV_HASH_SEED) as SequenceHash;
}

/** Number of full blocks in `numTokens` tokens; the partial tail is never hashed. */
export function fullBlockCount(numTokens: number, blockSize: number): number {
  return Math.floor(numTokens / blockSize);
}

/**
 * Leading full blocks of a `numTokens`-token prompt that a cache may serve: at most
 * floor((numTokens − 1) / blockSize), since the block holding the last prompt token is always
 * computed (its logits are needed). The worker's cap; routers and benches predict with it.
 */
export function cacheableBlockCount(numTokens: number, blockSize: number): number {
  return Math.max(0, Math.floor((numTokens - 1) / blockSize));
}

/** Blocks a request occupies for load accounting: the partial last block counts as one. */
export function requestBlockCount(numTokens: number, blockSize: number): number {
  return Math.ceil(numTokens / blockSize);
}

/**
 * Local and sequence hashes of the full blocks of `tokens`. `from` blocks of `previous` are
 * reused, so extending a sequence hashes only its new blocks.
 */
export function hashBlocks(tokens: ArrayLike<number>, blockSize: number, previous?: BlockHashes): BlockHashes {
  const n = fullBlockCount(tokens.length, blockSize);
  const reused = Math.min(n, previous?.local.length ?? 0);
  // Sized once up front: growing by push copies the arrays several times per prompt.
  const local = new Array<LocalBlockHash>(n);
  const sequence = new Array<SequenceHash>(n);
  for (let b = 0; b < reused; b++) {
    local[b] = previous!.local[b];
    sequence[b] = previous!.sequence[b];
  }
  for (let b = reused; b < n; b++) {
    const l = localBlockHash(tokens, b * blockSize, (b + 1) * blockSize);
    local[b] = l;
    sequence[b] = chainSequenceHash(b === 0 ? undefined : sequence[b - 1], l);
  }
  return { local, sequence };
}
