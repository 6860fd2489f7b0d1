/** `holder` when there is none. */
const NO_HOLDER = -1;

/**
 * One cached block of the radix tree, reached from its parent by its local hash, so a path is
 * a prefix. An index holds hundreds of thousands of these, most of them links of one chain
 * held by one worker, so a node carries no collections until it needs them: the first child
 * and the first holder are plain fields, and a Map / bit set appears only with a second one.
 * That keeps the heap small (GC work showed in the apply rate and in routing latency).
 * Holders are the tree's small integer worker slots (radix-tree.ts maps worker ids to them):
 * a shared prefix held by 64 workers was 64 Set lookups per block on every route.
 */
export class RadixNode {
  /** The only child, while there is at most one (`children` is undefined then). */
  private onlyChild: RadixNode | undefined;
  /** Children by local hash, once there are two or more. */
  private children: Map<bigint, RadixNode> | undefined;
  /** The only holder's slot, while there has been at most one (`holderMask` is undefined then). */
  private holder = NO_HOLDER;
  /** Holders as a bit set of worker slots, once there were two: a match keeps the workers still in the run with one AND per 32 of them. */
  private holderMask: Uint32Array | undefined;
  private holderCount = 0;

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

  /** Whether the worker in `slot` holds this block. */
  has(slot: number): boolean {
    if (this.holderMask !== undefined) return ((this.holderMask[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0;
    return this.holder === slot;
  }

  /** Record a holder (a no-op when it already holds the block); `words`: the tree's mask width. */
  add(slot: number, words: number): void {
    if (this.has(slot)) return;
    this.holderCount++;
    if (this.holderMask === undefined && this.holder === NO_HOLDER) {
      this.holder = slot;
      return;
    }
    if (this.holderMask === undefined) {
      this.holderMask = new Uint32Array(Math.max(words, (slot >>> 5) + 1, (this.holder >>> 5) + 1));
      this.holderMask[this.holder >>> 5] |= 1 << (this.holder & 31);
      this.holder = NO_HOLDER;
    } else if (this.holderMask.length <= slot >>> 5) {
      const grown = new Uint32Array(Math.max(words, (slot >>> 5) + 1));
      grown.set(this.holderMask);
      this.holderMask = grown;
    }
    this.holderMask[slot >>> 5] |= 1 << (slot & 31);
  }

  /** Drop a holder. */
  delete(slot: number): void {
    if (!this.has(slot)) return;
    this.holderCount--;
    if (this.holderMask !== undefined) this.holderMask[slot >>> 5] &= ~(1 << (slot & 31));
    else this.holder = NO_HOLDER;
  }

  /** Whether no worker holds the block. */
  isEmpty(): boolean {
    return this.holderCount === 0;
  }

  /** Word `w` of the holders' bit set (bit s of word w: slot 32·w + s). */
  holderWord(w: number): number {
    if (this.holderMask !== undefined) return this.holderMask[w] ?? 0;
    return this.holder !== NO_HOLDER && this.holder >>> 5 === w ? 1 << (this.holder & 31) : 0;
  }
}
