/**
 * Per-request block bookkeeping over the BlockPool (vLLM v1's KVCacheManager): prefix hits,
 * slot allocation, caching blocks once they are full and computed, and freeing.
 */
import { cacheableBlockCount } from "#common/kv-hash.js";
import type { SequenceHash } from "#common/kv-hash.js";
import type { StoredBlock } from "#contracts/gen/kvmesh/v1/events.js";
import type { BlockPool } from "./block-pool.js";
import type { KvEventRecorder } from "./kv-events.js";
import type { EngineRequest } from "./request.js";

/** A prefix hit: leading cached blocks and the tokens they hold. */
export interface ComputedBlocks {
  readonly blockIds: number[];
  readonly numTokens: number;
}

/** Blocks per request. */
export class KvCacheManager {
  constructor(
    readonly pool: BlockPool,
    readonly blockSize: number,
    private readonly events: KvEventRecorder,
  ) {}

  /** Fraction of blocks referenced by running sequences. */
  get usage(): number {
    return this.pool.counts().active / this.pool.numBlocks;
  }

  /**
   * The longest run of the request's leading full blocks found in the cache, capped so that at
   * least one token is left to compute (its logits are needed).
   */
  getComputedBlocks(request: EngineRequest): ComputedBlocks {
    const maxBlocks = cacheableBlockCount(request.numTokens, this.blockSize);
    const blockIds: number[] = [];
    for (let b = 0; b < maxBlocks; b++) {
      const id = this.pool.lookup(request.blockHash(b).sequence);
      if (id === undefined) break;
      blockIds.push(id);
    }
    return { blockIds, numTokens: blockIds.length * this.blockSize };
  }

  /**
   * Makes room for `numNewTokens` more tokens after the computed ones. `computed` (a prefix hit,
   * only for a request without blocks) is referenced first. False, changing nothing, when the
   * pool has too few free blocks.
   */
  allocateSlots(request: EngineRequest, numNewTokens: number, computed: readonly number[] = []): boolean {
    const computedTokens = computed.length > 0 ? computed.length * this.blockSize : request.numComputedTokens;
    const held = request.blockIds.length + computed.length;
    const needed = Math.ceil((computedTokens + numNewTokens) / this.blockSize) - held;
    // Touching a free cached block takes it out of the free queue too.
    const freeComputed = computed.filter((id) => this.pool.refCount(id) === 0).length;
    if (needed > this.pool.numFree - freeComputed) return false;
    this.pool.touch(computed);
    request.blockIds.push(...computed);
    request.numCachedBlocks += computed.length;
    if (needed > 0) request.blockIds.push(...(this.pool.allocate(needed) as number[]));
    return true;
  }

  /** Registers the request's blocks that are now full and computed; "stored" events for new hashes. */
  cacheFullBlocks(request: EngineRequest): void {
    const numFull = Math.floor(request.numComputedTokens / this.blockSize);
    let run: StoredBlock[] = [];
    let runParent: SequenceHash | undefined;
    for (let b = request.numCachedBlocks; b < numFull; b++) {
      const { local, sequence } = request.blockHash(b);
      const parent = b === 0 ? undefined : request.blockHash(b - 1).sequence;
      if (this.pool.cache(request.blockIds[b], { sequence, local, parent })) {
        if (run.length === 0) runParent = parent;
        run.push({ sequenceHash: sequence, localHash: local });
      } else if (run.length > 0) {
        this.events.stored(runParent, run);
        run = [];
      }
    }
    this.events.stored(runParent, run);
    request.numCachedBlocks = Math.max(request.numCachedBlocks, numFull);
  }

  /** Drops the request's references; its tail blocks join the free queue first, so they go first. */
  free(request: EngineRequest): void {
    this.pool.free([...request.blockIds].reverse());
    request.blockIds = [];
    request.numCachedBlocks = 0;
  }

  /**
   * Drops the prefix cache: a "cleared" event, free cached blocks forgotten, then "stored"
   * events re-announcing the blocks that running sequences still hold cached.
   */
  reset(): void {
    this.pool.dropFreeHashes();
    this.events.cleared();
    for (const event of this.dumpStored()) this.events.stored(event.parent, [event.block]);
  }

  /** Every cached block, parents before children. */
  dumpStored(): { parent: SequenceHash | undefined; block: StoredBlock }[] {
    const hashes = this.pool.cachedHashes();
    const bySequence = new Map(hashes.map((h) => [h.sequence, h]));
    const done = new Set<SequenceHash>();
    const out: { parent: SequenceHash | undefined; block: StoredBlock }[] = [];
    const visit = (seq: SequenceHash): void => {
      const h = bySequence.get(seq);
      if (h === undefined || done.has(seq)) return;
      done.add(seq);
      if (h.parent !== undefined) visit(h.parent);
      out.push({ parent: h.parent, block: { sequenceHash: h.sequence, localHash: h.local } });
    };
    for (const h of hashes) visit(h.sequence);
    return out;
  }
}
