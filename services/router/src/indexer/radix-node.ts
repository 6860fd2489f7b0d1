import type { WorkerId } from "./types.js";

/**
 * One cached block of the radix tree, reached from its parent by its local hash, so a path is
 * a prefix. An index holds hundreds of thousands of these, most of them links of one chain
 * held by one worker, so a node carries no collections until it needs them: the first child
 * and the first holder are plain fields, and a Map / Set appears only with a second one. That
 * keeps the heap small (GC work showed in the apply rate and in routing latency).
 */
export class RadixNode {
  /** The only child, while there is at most one (`children` is undefined then). */
  private onlyChild: RadixNode | undefined;
  /** Children by local hash, once there are two or more. */
  private children: Map<bigint, RadixNode> | undefined;
  /** The only holder, while there is at most one (`holders` is undefined then). */
  private holder: WorkerId | undefined;
  private holders: Set<WorkerId> | undefined;

  constructor(
    readonly localHash: bigint,
    readonly parent: RadixNode | null,
  ) {}

  /** The child reached by `localHash`, if any. */
  child(localHash: bigint): RadixNode | undefined {
    if (this.children !== undefined) return this.children.get(localHash);
    return this.onlyChild?.localHash === localHash ? this.onlyChild : undefined;
  }

  /** The child for this block, created when missing. */
  childFor(localHash: bigint): RadixNode {
    const found = this.child(localHash);
    if (found !== undefined) return found;
    const child = new RadixNode(localHash, this);
    if (this.children !== undefined) this.children.set(localHash, child);
    else if (this.onlyChild === undefined) this.onlyChild = child;
    else {
      this.children = new Map([[this.onlyChild.localHash, this.onlyChild], [localHash, child]]);
      this.onlyChild = undefined;
    }
    return child;
  }

  /** Unlink a child (it is empty). */
  removeChild(localHash: bigint): void {
    if (this.children === undefined) {
      if (this.onlyChild?.localHash === localHash) this.onlyChild = undefined;
      return;
    }
    this.children.delete(localHash);
    if (this.children.size <= 1) {
      this.onlyChild = this.children.values().next().value;
      this.children = undefined;
    }
  }

  /** Whether the node has children. */
  hasChildren(): boolean {
    return this.onlyChild !== undefined || this.children !== undefined;
  }

  /** Appends every child to `out`. */
  childrenInto(out: RadixNode[]): void {
    if (this.children !== undefined) for (const c of this.children.values()) out.push(c);
    else if (this.onlyChild !== undefined) out.push(this.onlyChild);
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
