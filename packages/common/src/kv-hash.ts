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

/** XXH3-64 (seed 1337) over the block's token ids as little-endian uint32. */
export function localBlockHash(tokens: ArrayLike<number>, start = 0, end = tokens.length): LocalBlockHash {
  const bytes = Buffer.allocUnsafe((end - start) * 4);
  for (let i = start; i < end; i++) bytes.writeUInt32LE(tokens[i] >>> 0, (i - start) * 4);
  return xxh3.xxh64(bytes, KV_HASH_SEED) as LocalBlockHash;
}

/** seq[i] = XXH3-64(seed 1337, [seq[i-1] as u64 LE, local[i] as u64 LE]); seq[0] = local[0]. */
export function chainSequenceHash(parent: SequenceHash | undefined, local: LocalBlockHash): SequenceHash {
  if (parent === undefined) return local as unknown as SequenceHash;
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeBigUInt64LE(parent, 0);
  bytes.writeBigUInt64LE(local, 8);
  return xxh3.xxh64(bytes, KV_HASH_SEED) as SequenceHash;
}

/** Number of full blocks in `numTokens` tokens; the partial tail is never hashed. */
export function fullBlockCount(numTokens: number, blockSize: number): number {
  return Math.floor(numTokens / blockSize);
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
  const local = previous ? previous.local.slice(0, n) : [];
  const sequence = previous ? previous.sequence.slice(0, n) : [];
  for (let b = local.length; b < n; b++) {
    const l = localBlockHash(tokens, b * blockSize, (b + 1) * blockSize);
    local.push(l);
    sequence.push(chainSequenceHash(b === 0 ? undefined : sequence[b - 1], l));
  }
  return { local, sequence };
}
