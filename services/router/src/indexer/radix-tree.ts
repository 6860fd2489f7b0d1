import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import type { OverlapScores, StoredBlockData, WorkerId } from "./types.js";

/** One cached block: reached from its parent by its local hash, so a path is a prefix. */
class RadixNode {
  readonly children = new Map<bigint, RadixNode>();
  readonly workers = new Set<WorkerId>();
  constructor(
    readonly localHash: bigint,
    readonly sequenceHash: bigint,
    readonly parent: RadixNode | null,
  ) {}
}

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
  private readonly root = new RadixNode(0n, 0n, null);
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
      let child: RadixNode | undefined = parent.children.get(block.localHash);
      if (child === undefined) {
        child = new RadixNode(block.localHash, block.sequenceHash, parent);
        parent.children.set(block.localHash, child);
      }
      // A duplicate store is a no-op: the worker already holds this block.
      if (!lookup.has(block.sequenceHash)) {
        lookup.set(block.sequenceHash, child);
        child.workers.add(workerId);
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
    node.workers.delete(workerId);
    this.prune(node);
    return true;
  }

  /** Drop every block of a worker; returns how many there were. */
  clearWorker(workerId: WorkerId): number {
    const lookup = this.byWorker.get(workerId);
    if (lookup === undefined) return 0;
    this.byWorker.delete(workerId);
    for (const node of lookup.values()) {
      node.workers.delete(workerId);
      this.prune(node);
    }
    return lookup.size;
  }

  /** Contiguous leading blocks held per worker: a worker counts at depth i only if it held 0..i-1. */
  findMatches(localHashes: readonly LocalBlockHash[]): OverlapScores {
    const scores: OverlapScores = new Map();
    const first = localHashes.length > 0 ? this.root.children.get(localHashes[0]) : undefined;
    if (first === undefined) return scores;
    // Workers whose run is still unbroken; each level only checks them, not the node's set.
    let active = [...first.workers];
    let node = first;
    let depth = 1;
    for (; depth < localHashes.length && active.length > 0; depth++) {
      const child = node.children.get(localHashes[depth]);
      if (child === undefined) break;
      const kept = active.filter((w) => child.workers.has(w));
      if (kept.length !== active.length) for (const w of active) if (!child.workers.has(w)) scores.set(w, depth);
      active = kept;
      node = child;
    }
    for (const w of active) scores.set(w, depth);
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
      const node = stack.pop()!;
      count += node.children.size;
      for (const child of node.children.values()) stack.push(child);
    }
    return count;
  }

  /** Unlink nodes nobody holds and nothing hangs below, walking up. */
  private prune(start: RadixNode): void {
    let node: RadixNode = start;
    while (node.parent !== null && node.workers.size === 0 && node.children.size === 0) {
      node.parent.children.delete(node.localHash);
      node = node.parent;
    }
  }
}
