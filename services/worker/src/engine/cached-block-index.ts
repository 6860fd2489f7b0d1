/**
 * The prefix-cache index of the block pool: which blocks are cached under which hash. Every
 * block's identity lives in typed arrays allocated once (the sequence, local and parent hashes
 * in BigUint64Arrays, flags in a Uint8Array), as vLLM preallocates its KVCacheBlocks: a
 * BlockHash object, a Set and their bigints per cached block made a worker's live heap grow
 * with the cache (bench/results/soak). Several blocks may hold one hash (two sequences computed
 * the same prefix in one step): they form a chain in insertion order, doubly linked through two
 * Int32Arrays, whose first copy is what a lookup finds. The only structure that grows is the
 * hash → first copy Map, bounded by the number of blocks.
 */
import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";

/** The cache identity of a full block. */
export interface BlockHash {
  readonly sequence: SequenceHash;
  readonly local: LocalBlockHash;
  /** Sequence hash of the block before it (undefined for a first block). */
  readonly parent: SequenceHash | undefined;
}

const NONE = -1;
const CACHED = 1;
const HAS_PARENT = 2;

/** Block hashes are XXH3-64 values: a bigint outside [0, 2^64) would not survive the typed arrays. */
function checkU64(value: bigint, what: string): void {
  if (BigInt.asUintN(64, value) !== value) throw new RangeError(`${what} hash ${value} is not a uint64`);
}

/** Cached blocks by hash, copies in insertion order. */
export class CachedBlockIndex {
  private readonly sequence: BigUint64Array;
  private readonly local: BigUint64Array;
  private readonly parent: BigUint64Array;
  private readonly flags: Uint8Array;
  /** Next copy of the same hash (NONE: last). */
  private readonly nextCopy: Int32Array;
  /** Previous copy of the same hash; the first copy's points at the last (O(1) append). */
  private readonly prevCopy: Int32Array;
  /** First copy of each cached hash; iteration order is the order hashes became cached. */
  private readonly first = new Map<bigint, number>();

  constructor(numBlocks: number) {
    this.sequence = new BigUint64Array(numBlocks);
    this.local = new BigUint64Array(numBlocks);
    this.parent = new BigUint64Array(numBlocks);
    this.flags = new Uint8Array(numBlocks);
    this.nextCopy = new Int32Array(numBlocks).fill(NONE);
    this.prevCopy = new Int32Array(numBlocks).fill(NONE);
  }

  /** Whether block `id` is cached. */
  isCached(id: number): boolean {
    return (this.flags[id] & CACHED) !== 0;
  }

  /** The first cached copy of `hash`, if any. */
  lookup(hash: SequenceHash): number | undefined {
    return this.first.get(hash);
  }

  /** Caches block `id` (not cached yet) under `hash`; true when the hash is new to the index. */
  add(id: number, hash: BlockHash): boolean {
    checkU64(hash.sequence, "sequence");
    checkU64(hash.local, "local");
    if (hash.parent !== undefined) checkU64(hash.parent, "parent");
    this.sequence[id] = hash.sequence;
    this.local[id] = hash.local;
    this.parent[id] = hash.parent ?? 0n;
    this.flags[id] = CACHED | (hash.parent === undefined ? 0 : HAS_PARENT);
    this.nextCopy[id] = NONE;
    const head = this.first.get(hash.sequence);
    if (head === undefined) {
      this.prevCopy[id] = id;
      this.first.set(hash.sequence, id);
      return true;
    }
    const last = this.prevCopy[head];
    this.nextCopy[last] = id;
    this.prevCopy[id] = last;
    this.prevCopy[head] = id;
    return false;
  }

  /** Uncaches block `id` (cached); returns its sequence hash when it was the last copy. */
  remove(id: number): SequenceHash | undefined {
    const seq = this.sequence[id] as SequenceHash;
    const head = this.first.get(seq) as number;
    const next = this.nextCopy[id];
    const prev = this.prevCopy[id];
    this.flags[id] = 0;
    this.nextCopy[id] = NONE;
    this.prevCopy[id] = NONE;
    if (id === head) {
      if (next === NONE) {
        this.first.delete(seq);
        return seq;
      }
      this.prevCopy[next] = prev; // the new first copy points at the last one
      this.first.set(seq, next); // keeps the hash's place in insertion order
      return undefined;
    }
    this.nextCopy[prev] = next;
    this.prevCopy[next === NONE ? head : next] = prev;
    return undefined;
  }

  /** The identity of block `id`, if cached (a fresh object: identities are not stored as objects). */
  hashOf(id: number): BlockHash | undefined {
    const flags = this.flags[id];
    if ((flags & CACHED) === 0) return undefined;
    return {
      sequence: this.sequence[id] as SequenceHash,
      local: this.local[id] as LocalBlockHash,
      parent: (flags & HAS_PARENT) === 0 ? undefined : (this.parent[id] as SequenceHash),
    };
  }

  /** The identity of each cached hash's first copy, in the order the hashes became cached. */
  firstCopies(): BlockHash[] {
    return [...this.first.values()].map((id) => this.hashOf(id) as BlockHash);
  }
}
