/**
 * The block pool as it was before its state moved into typed arrays (a Map free queue, a
 * BlockHash object and a Set of copies per cached hash): the reference whose observable
 * behaviour (allocation order, events, counts, lookups, cachedHashes order) the typed-array
 * pool must reproduce exactly. Test code only.
 */
import type { SequenceHash } from "#common/kv-hash.js";
import type { BlockHash } from "../../../services/worker/src/engine/cached-block-index.js";
import type { KvEventRecorder } from "../../../services/worker/src/engine/kv-events.js";

/** The pre-typed-array BlockPool, same public surface. */
export class ReferenceBlockPool {
  private readonly refCounts: Int32Array;
  private readonly hashes: (BlockHash | undefined)[];
  private readonly freeQueue = new Map<number, true>();
  private readonly cached = new Map<SequenceHash, Set<number>>();
  private numActive = 0;
  private numCachedFree = 0;

  constructor(readonly numBlocks: number, private readonly events: KvEventRecorder) {
    this.refCounts = new Int32Array(numBlocks);
    this.hashes = new Array<BlockHash | undefined>(numBlocks).fill(undefined);
    for (let id = 0; id < numBlocks; id++) this.freeQueue.set(id, true);
  }

  get numFree(): number {
    return this.freeQueue.size;
  }

  counts(): { active: number; cachedFree: number; total: number } {
    return { active: this.numActive, cachedFree: this.numCachedFree, total: this.numBlocks };
  }

  refCount(id: number): number {
    return this.refCounts[id];
  }

  lookup(hash: SequenceHash): number | undefined {
    const ids = this.cached.get(hash);
    return ids === undefined ? undefined : ids.values().next().value;
  }

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

  hashOf(id: number): BlockHash | undefined {
    return this.hashes[id];
  }

  cachedHashes(): BlockHash[] {
    return [...this.cached.values()].map((ids) => this.hashes[ids.values().next().value as number] as BlockHash);
  }

  dropFreeHashes(): void {
    for (const id of this.freeQueue.keys()) this.uncache(id);
  }

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
