import type { WorkerId } from "./types.js";

/**
 * One cached block of the radix tree, reached from its parent by its local hash, so a path is
 * a prefix. An index holds hundreds of thousands of these, most of them leaves held by one
 * worker, so a node carries no collections until it needs them: children appear with the
 * first child, and the holder set is a single id until a second worker holds the block. That
 * keeps the heap (and GC work, which shows in routing latency) and the cost of storing small.
 */
export class RadixNode {
  /** Children by local hash; undefined while a leaf. */
  children: Map<bigint, RadixNode> | undefined;
  /** The only holder, while there is at most one (`holders` is undefined then). */
  private holder: WorkerId | undefined;
  private holders: Set<WorkerId> | undefined;

  constructor(
    readonly localHash: bigint,
    readonly sequenceHash: bigint,
    readonly parent: RadixNode | null,
  ) {}

  /** The child reached by `localHash`, if any. */
  child(localHash: bigint): RadixNode | undefined {
    return this.children?.get(localHash);
  }

  /** The child for this block, created when missing. */
  childFor(localHash: bigint, sequenceHash: bigint): RadixNode {
    this.children ??= new Map();
    let child = this.children.get(localHash);
    if (child === undefined) {
      child = new RadixNode(localHash, sequenceHash, this);
      this.children.set(localHash, child);
    }
    return child;
  }

  /** Unlink a child (it is empty). */
  removeChild(localHash: bigint): void {
    this.children?.delete(localHash);
    if (this.children?.size === 0) this.children = undefined;
  }

  /** Whether the node has children. */
  hasChildren(): boolean {
    return this.children !== undefined;
  }

  /** Whether `workerId` holds this block. */
  has(workerId: WorkerId): boolean {
    return this.holders !== undefined ? this.holders.has(workerId) : this.holder === workerId;
  }

  /** Record a holder (a no-op when it already holds the block). */
  add(workerId: WorkerId): void {
    if (this.holders !== undefined) this.holders.add(workerId);
    else if (this.holder === undefined) this.holder = workerId;
    else if (this.holder !== workerId) {
      this.holders = new Set([this.holder, workerId]);
      this.holder = undefined;
    }
  }

  /** Drop a holder. */
  delete(workerId: WorkerId): void {
    if (this.holders !== undefined) this.holders.delete(workerId);
    else if (this.holder === workerId) this.holder = undefined;
  }

  /** Whether no worker holds the block. */
  isEmpty(): boolean {
    return this.holders !== undefined ? this.holders.size === 0 : this.holder === undefined;
  }

  /** Appends every holder to `out`. */
  holdersInto(out: WorkerId[]): void {
    if (this.holders !== undefined) for (const w of this.holders) out.push(w);
    else if (this.holder !== undefined) out.push(this.holder);
  }
}
