import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import { RadixNode } from "./radix-node.js";
import { WorkerSlots } from "./worker-slots.js";
import type { OverlapScores, StoredBlockData, WorkerId } from "./types.js";

/** Outcome of storing a chain of blocks for one worker. */
export interface StoreOutcome {
  /** The parent is not indexed for this worker: nothing was stored. */
  readonly unknownParent: boolean;
  /** Blocks new to this worker. */
  readonly added: number;
}

/**
 * Prefix tree of cached blocks shared by every worker of a model. Children are keyed by the
 * LOCAL block hash (a request is matched by walking its local hashes once); each worker also
 * keeps sequence hash → node, because removals and parents are named by sequence hash.
 */
export class RadixTree {
  private readonly root = new RadixNode(0n, null);
  private readonly byWorker = new Map<WorkerId, Map<bigint, RadixNode>>();
  private readonly slots = new WorkerSlots();

  /** Store `blocks` for `workerId` below `parentSequenceHash` (undefined: the root). */
  store(workerId: WorkerId, parentSequenceHash: bigint | undefined, blocks: readonly StoredBlockData[]): StoreOutcome {
    let lookup = this.byWorker.get(workerId);
    const start = parentSequenceHash === undefined ? this.root : lookup?.get(parentSequenceHash);
    if (start === undefined) return { unknownParent: true, added: 0 };
    let parent: RadixNode = start;
    if (lookup === undefined) {
      lookup = new Map();
      this.byWorker.set(workerId, lookup);
    }
    const slot = this.slots.slotOf(workerId);
    let added = 0;
    for (const block of blocks) {
      const child = parent.childFor(block.localHash);
      // A duplicate store is a no-op: the worker already holds this block.
      if (!lookup.has(block.sequenceHash)) {
        lookup.set(block.sequenceHash, child);
        child.add(slot, this.slots.words);
        added++;
      }
      parent = child;
    }
    return { unknownParent: false, added };
  }

  /** Drop one block of a worker; false when it was not indexed (ignored, as evictions race). */
  remove(workerId: WorkerId, sequenceHash: bigint): boolean {
    const lookup = this.byWorker.get(workerId);
    const node = lookup?.get(sequenceHash);
    if (lookup === undefined || node === undefined) return false;
    lookup.delete(sequenceHash);
    node.delete(this.slots.slotOf(workerId));
    this.prune(node);
    return true;
  }

  /** Drop every block of a worker; returns how many there were. */
  clearWorker(workerId: WorkerId): number {
    const lookup = this.byWorker.get(workerId);
    if (lookup === undefined) return 0;
    this.byWorker.delete(workerId);
    const slot = this.slots.slotOf(workerId);
    for (const node of lookup.values()) {
      node.delete(slot);
      this.prune(node);
    }
    // No node holds the slot any more: a later worker may reuse it.
    this.slots.release(workerId);
    return lookup.size;
  }

  /**
   * Contiguous leading blocks held per worker: a worker counts at depth i only if it held 0..i-1.
   * The workers whose run is unbroken are a bit set of slots, ANDed with each block's holders.
   */
  findMatches(localHashes: readonly LocalBlockHash[]): OverlapScores {
    const scores: OverlapScores = new Map();
    let node = localHashes.length > 0 ? this.root.child(localHashes[0]) : undefined;
    if (node === undefined) return scores;
    const words = this.slots.words;
    const active = this.slots.scratch();
    for (let w = 0; w < words; w++) active[w] = node.holderWord(w);
    let depth = 1;
    for (; depth < localHashes.length; depth++) {
      const child: RadixNode | undefined = node.child(localHashes[depth]);
      if (child === undefined) break;
      let live = 0;
      for (let w = 0; w < words; w++) {
        const was = active[w] | 0; // int32, as the results of & are
        if (was === 0) continue;
        const kept = was & child.holderWord(w);
        if (kept !== was) this.scoreBits(scores, w, was & ~kept, depth);
        active[w] = kept;
        live |= kept;
      }
      if (live === 0) return scores;
      node = child;
    }
    for (let w = 0; w < words; w++) if (active[w] !== 0) this.scoreBits(scores, w, active[w], depth);
    return scores;
  }

  /** scores[worker] = depth for every slot set in word `w`'s `bits`. */
  private scoreBits(scores: OverlapScores, w: number, bits: number, depth: number): void {
    for (let b = bits; b !== 0; b &= b - 1) scores.set(this.slots.workerAt(32 * w + (31 - Math.clz32(b & -b))), depth);
  }

  /** Blocks indexed for a worker. */
  blockCount(workerId: WorkerId): number {
    return this.byWorker.get(workerId)?.size ?? 0;
  }

  /** Whether a worker holds a block. */
  has(workerId: WorkerId, sequenceHash: bigint): boolean {
    return this.byWorker.get(workerId)?.has(sequenceHash) ?? false;
  }

  /** Workers with at least one indexed block. */
  workers(): WorkerId[] {
    return [...this.byWorker.keys()];
  }

  /** A worker's sequence hashes, sorted ascending. */
  sequenceHashes(workerId: WorkerId): SequenceHash[] {
    const hashes = [...(this.byWorker.get(workerId)?.keys() ?? [])] as SequenceHash[];
    return hashes.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Nodes in the tree (root excluded); for tests that check pruning. */
  nodeCount(): number {
    let count = 0;
    const stack = [this.root];
    while (stack.length > 0) {
      const before = stack.length - 1;
      stack.pop()!.childrenInto(stack);
      count += stack.length - before;
    }
    return count;
  }

  /** Unlink nodes nobody holds and nothing hangs below, walking up. */
  private prune(start: RadixNode): void {
    let node: RadixNode = start;
    while (node.parent !== null && node.isEmpty() && !node.hasChildren()) {
      node.parent.removeChild(node.localHash);
      node = node.parent;
    }
  }
}
