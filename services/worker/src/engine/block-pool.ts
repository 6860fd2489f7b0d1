/**
 * Physical KV blocks (vLLM v1's BlockPool): reference counts, the free queue in LRU order, and
 * the prefix cache index. A full block, once computed, is cached under its sequence hash; it
 * stays findable after its last reference is dropped, until it is evicted for a new allocation.
 * Several blocks may hold the same hash (two sequences computed the same prefix in one step);
 * the router hears "stored" for the first copy and "removed" when the last one goes.
 * Per-block state is preallocated in typed arrays (free-block-queue.ts, cached-block-index.ts),
 * so a worker's memory does not grow as its cache fills.
 */
import type { SequenceHash } from "#common/kv-hash.js";
import { CachedBlockIndex } from "./cached-block-index.js";
import type { BlockHash } from "./cached-block-index.js";
import { FreeBlockQueue } from "./free-block-queue.js";
import type { KvEventRecorder } from "./kv-events.js";

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
  /** Free blocks (reference count 0), least recently freed at the head. */
  private readonly freeQueue: FreeBlockQueue;
  private readonly index: CachedBlockIndex;
  private numActive = 0;
  private numCachedFree = 0;

  constructor(readonly numBlocks: number, private readonly events: KvEventRecorder) {
    this.refCounts = new Int32Array(numBlocks);
    this.freeQueue = new FreeBlockQueue(numBlocks);
    this.index = new CachedBlockIndex(numBlocks);
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

  /** A cached block with this sequence hash, if any (its first copy). */
  lookup(hash: SequenceHash): number | undefined {
    return this.index.lookup(hash);
  }

  /**
   * Takes `n` blocks from the head of the free queue (vLLM: least recently freed first, cached
   * or not), evicting cached ones; null (and nothing taken) when fewer than `n` are free.
   */
  allocate(n: number): number[] | null {
    if (n > this.freeQueue.size) return null;
    const taken: number[] = [];
    const removed: SequenceHash[] = [];
    for (let i = 0; i < n; i++) {
      const id = this.freeQueue.popHead();
      const gone = this.uncache(id);
      if (gone !== undefined) removed.push(gone);
      this.refCounts[id] = 1;
      this.numActive++;
      taken.push(id);
    }
    this.events.removed(removed);
    return taken;
  }

  /** Adds a reference to each block (a prefix hit); a free block leaves the free queue. */
  touch(ids: readonly number[]): void {
    for (const id of ids) {
      if (this.refCounts[id] === 0) {
        this.freeQueue.remove(id);
        this.numActive++;
        if (this.index.isCached(id)) this.numCachedFree--;
      }
      this.refCounts[id]++;
    }
  }

  /** Drops a reference from each block; blocks reaching 0 join the queue tail in the given order. */
  free(ids: readonly number[]): void {
    for (const id of ids) {
      if (this.refCounts[id] <= 0) throw new Error(`block ${id} freed more often than referenced`);
      if (--this.refCounts[id] === 0) {
        this.freeQueue.append(id);
        this.numActive--;
        if (this.index.isCached(id)) this.numCachedFree++;
      }
    }
  }

  /** Caches a computed full block; true when its hash is new to the cache (worth a "stored" event). */
  cache(id: number, hash: BlockHash): boolean {
    if (this.index.isCached(id)) return false;
    const isNew = this.index.add(id, hash);
    if (this.refCounts[id] === 0) this.numCachedFree++;
    return isNew;
  }

  /** The cache identity of a block, if cached. */
  hashOf(id: number): BlockHash | undefined {
    return this.index.hashOf(id);
  }

  /** One identity per cached sequence hash (its first copy's), in insertion order. */
  cachedHashes(): BlockHash[] {
    return this.index.firstCopies();
  }

  /** Forgets the hashes of every free block (active blocks stay cached); no events. */
  dropFreeHashes(): void {
    for (const id of this.freeQueue.ids()) this.uncache(id);
  }

  /** Removes a block from the cache index; returns its hash when that was the last copy. */
  private uncache(id: number): SequenceHash | undefined {
    if (!this.index.isCached(id)) return undefined;
    if (this.refCounts[id] === 0) this.numCachedFree--;
    return this.index.remove(id);
  }
}
