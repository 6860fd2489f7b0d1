/**
 * Physical KV blocks (vLLM v1's BlockPool): reference counts, the free queue in LRU order, and
 * the prefix cache index. A full block, once computed, is cached under its sequence hash; it
 * stays findable after its last reference is dropped, until it is evicted for a new allocation.
 * Several blocks may hold the same hash (two sequences computed the same prefix in one step);
 * the router hears "stored" for the first copy and "removed" when the last one goes.
 */
import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import type { KvEventRecorder } from "./kv-events.js";

/** The cache identity of a full block. */
export interface BlockHash {
  readonly sequence: SequenceHash;
  readonly local: LocalBlockHash;
  /** Sequence hash of the block before it (undefined for a first block). */
  readonly parent: SequenceHash | undefined;
}

/** Block counts as reported in WorkerLoad. */
export interface BlockCounts {
  /** Reference count > 0. */
  readonly active: number;
  /** Free but still cached (evictable, reusable). */
  readonly cachedFree: number;
  readonly total: number;
}

/** Fixed set of physical blocks. */
export class BlockPool {
  private readonly refCounts: Int32Array;
  private readonly hashes: (BlockHash | undefined)[];
  /** Free blocks; Map iteration order is insertion order, so the head is least recently freed. */
  private readonly freeQueue = new Map<number, true>();
  private readonly cached = new Map<SequenceHash, Set<number>>();
  private numActive = 0;
  private numCachedFree = 0;

  constructor(readonly numBlocks: number, private readonly events: KvEventRecorder) {
    this.refCounts = new Int32Array(numBlocks);
    this.hashes = new Array<BlockHash | undefined>(numBlocks).fill(undefined);
    for (let id = 0; id < numBlocks; id++) this.freeQueue.set(id, true);
  }

  /** Blocks that an allocation may take (free, cached or not). */
  get numFree(): number {
    return this.freeQueue.size;
  }

  /** Counts for load reports. */
  counts(): BlockCounts {
    return { active: this.numActive, cachedFree: this.numCachedFree, total: this.numBlocks };
  }

  /** References held on `id`. */
  refCount(id: number): number {
    return this.refCounts[id];
  }

  /** A cached block with this sequence hash, if any. */
  lookup(hash: SequenceHash): number | undefined {
    const ids = this.cached.get(hash);
    return ids === undefined ? undefined : ids.values().next().value;
  }

  /**
   * Takes `n` blocks from the head of the free queue (vLLM: least recently freed first, cached
   * or not), evicting cached ones; null (and nothing taken) when fewer than `n` are free.
   */
  allocate(n: number): number[] | null {
    if (n > this.freeQueue.size) return null;
    const taken: number[] = [];
    const removed: SequenceHash[] = [];
    for (const id of this.freeQueue.keys()) {
      if (taken.length === n) break;
      taken.push(id);
    }
    for (const id of taken) {
      this.freeQueue.delete(id);
      const gone = this.uncache(id);
      if (gone !== undefined) removed.push(gone);
      this.refCounts[id] = 1;
      this.numActive++;
    }
    this.events.removed(removed);
    return taken;
  }

  /** Adds a reference to each block (a prefix hit); a free block leaves the free queue. */
  touch(ids: readonly number[]): void {
    for (const id of ids) {
      if (this.refCounts[id] === 0) {
        this.freeQueue.delete(id);
        this.numActive++;
        if (this.hashes[id] !== undefined) this.numCachedFree--;
      }
      this.refCounts[id]++;
    }
  }

  /** Drops a reference from each block; blocks reaching 0 join the queue tail in the given order. */
  free(ids: readonly number[]): void {
    for (const id of ids) {
      if (this.refCounts[id] <= 0) throw new Error(`block ${id} freed more often than referenced`);
      if (--this.refCounts[id] === 0) {
        this.freeQueue.set(id, true);
        this.numActive--;
        if (this.hashes[id] !== undefined) this.numCachedFree++;
      }
    }
  }

  /** Caches a computed full block; true when its hash is new to the cache (worth a "stored" event). */
  cache(id: number, hash: BlockHash): boolean {
    if (this.hashes[id] !== undefined) return false;
    this.hashes[id] = hash;
    if (this.refCounts[id] === 0) this.numCachedFree++;
    const copies = this.cached.get(hash.sequence);
    if (copies !== undefined) {
      copies.add(id);
      return false;
    }
    this.cached.set(hash.sequence, new Set([id]));
    return true;
  }

  /** The cache identity of a block, if cached. */
  hashOf(id: number): BlockHash | undefined {
    return this.hashes[id];
  }

  /** One identity per cached sequence hash, in insertion order. */
  cachedHashes(): BlockHash[] {
    return [...this.cached.values()].map((ids) => this.hashes[ids.values().next().value as number] as BlockHash);
  }

  /** Forgets the hashes of every free block (active blocks stay cached); no events. */
  dropFreeHashes(): void {
    for (const id of this.freeQueue.keys()) this.uncache(id);
  }

  /** Removes a block from the cache index; returns its hash when that was the last copy. */
  private uncache(id: number): SequenceHash | undefined {
    const hash = this.hashes[id];
    if (hash === undefined) return undefined;
    this.hashes[id] = undefined;
    if (this.refCounts[id] === 0) this.numCachedFree--;
    const copies = this.cached.get(hash.sequence) as Set<number>;
    copies.delete(id);
    if (copies.size > 0) return undefined;
    this.cached.delete(hash.sequence);
    return hash.sequence;
  }
}
