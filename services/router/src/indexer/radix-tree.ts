import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import { RadixNode } from "./radix-node.js";
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
    let added = 0;
    for (const block of blocks) {
      const child = parent.childFor(block.localHash);
      // A duplicate store is a no-op: the worker already holds this block.
      if (!lookup.has(block.sequenceHash)) {
        lookup.set(block.sequenceHash, child);
        child.add(workerId);
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
    node.delete(workerId);
    this.prune(node);
    return true;
  }

  /** Drop every block of a worker; returns how many there were. */
  clearWorker(workerId: WorkerId): number {
    const lookup = this.byWorker.get(workerId);
    if (lookup === undefined) return 0;
    this.byWorker.delete(workerId);
    for (const node of lookup.values()) {
      node.delete(workerId);
      this.prune(node);
    }
    return lookup.size;
  }

  /** Contiguous leading blocks held per worker: a worker counts at depth i only if it held 0..i-1. */
  findMatches(localHashes: readonly LocalBlockHash[]): OverlapScores {
    const scores: OverlapScores = new Map();
    const first = localHashes.length > 0 ? this.root.child(localHashes[0]) : undefined;
    if (first === undefined) return scores;
    // Workers whose run is still unbroken, compacted in place as runs end (no array a level).
    const active: WorkerId[] = [];
    first.holdersInto(active);
    let live = active.length;
    let node = first;
    let depth = 1;
    for (; depth < localHashes.length && live > 0; depth++) {
      const child = node.child(localHashes[depth]);
      if (child === undefined) break;
      let kept = 0;
      for (let i = 0; i < live; i++) {
        const w = active[i];
        if (child.has(w)) active[kept++] = w;
        else scores.set(w, depth);
      }
      live = kept;
      node = child;
    }
    for (let i = 0; i < live; i++) scores.set(active[i], depth);
    return scores;
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
