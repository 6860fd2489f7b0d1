/**
 * cache-aware's approximate tree of routed prompts (SGLang's router keeps one per model): which
 * worker was sent which prompt prefixes, by block. A sequence hash names its whole prefix, so a
 * map from sequence hash to its workers is a radix tree over blocks whose paths are implicit.
 * Nothing here comes from the workers' caches: it is the router's guess, hence "approximate".
 */
import { WorkerSlots } from "../indexer/worker-slots.js";

/** One (block, worker) entry: when it was last routed there, and its depth in the prompt. */
interface Entry {
  lastUsedMs: number;
  readonly depth: number;
}

/**
 * One block: its entries by worker, and the same workers as a bit set of slots, so a match
 * keeps the workers still in the run with one AND per 32 of them, as the exact index does
 * (radix-tree.ts), instead of a lookup per live worker per block (a 64-worker match was five
 * times the exact index's).
 */
interface TreeNode {
  readonly hash: bigint;
  /** The node of the previous block (a sequence hash has one prefix); undefined at block 0. */
  readonly parent: TreeNode | undefined;
  /**
   * The child last routed through: a walk along a chain compares one hash instead of hashing a
   * bigint into the map per block. Only a shortcut: any child is also in the tree's map.
   */
  next: TreeNode | undefined;
  /** False once trimmed out of the map: a shortcut to it is stale. */
  live: boolean;
  readonly entries: Map<string, Entry>;
  /** The only holder's slot while there has been at most one (most blocks: a prompt's own tail), else −1. */
  holder: number;
  /** Holders as a bit set of slots, once there were two (creating one per new block was most of an insert's time). */
  mask: Uint32Array | undefined;
}

/** Word `w` of a node's holder bit set. */
function holderWord(node: TreeNode, w: number): number {
  if (node.mask !== undefined) return node.mask[w] ?? 0;
  return node.holder >= 0 && node.holder >>> 5 === w ? 1 << (node.holder & 31) : 0;
}

/** How often the tree is trimmed (SGLang's eviction interval). */
export const EVICTION_INTERVAL_MS = 120_000;

/** Routed prompt prefixes per worker, trimmed LRU every 120 s down to a size cap. */
export class RoutedPromptTree {
  private readonly nodes = new Map<bigint, TreeNode>();
  private readonly slots = new WorkerSlots();
  /** Entries per worker: its slot is released when it has none. */
  private readonly perWorker = new Map<string, number>();
  /** Depth of each slot's run in the current match (scratch, grown with the slots). */
  private depths = new Int32Array(32);
  private entries = 0;
  private lastEvictionMs: number;

  /** `now` is ms from an injected clock; `maxEntries` caps (block, worker) entries after each trim. */
  constructor(
    private readonly now: () => number,
    readonly maxEntries: number,
  ) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 0)) throw new RangeError(`maxEntries must be an integer ≥ 0, got ${maxEntries}`);
    this.lastEvictionMs = now();
  }

  /** (block, worker) entries held. */
  get size(): number {
    return this.entries;
  }

  /**
   * Per worker, how many leading blocks of `hashes` were routed to it (absent: none), listed in
   * the first block's order. The workers whose run is unbroken are a bit set, ANDed with each
   * block's; a worker's run ends at the first block whose set lacks it.
   */
  match(hashes: readonly bigint[]): Map<string, number> {
    this.maybeEvict();
    const matched = new Map<string, number>();
    const first = hashes.length > 0 ? this.nodes.get(hashes[0]) : undefined;
    if (first === undefined) return matched;
    const words = this.slots.words;
    const active = this.slots.scratch();
    for (let w = 0; w < words; w++) active[w] = holderWord(first, w);
    let depth = 1;
    let prev = first;
    for (; depth < hashes.length; depth++) {
      const node = this.nodeAfter(prev, hashes[depth]);
      if (node === undefined) break;
      prev = node;
      let live = 0;
      for (let w = 0; w < words; w++) {
        const was = active[w] | 0;
        if (was === 0) continue;
        const kept = was & holderWord(node, w);
        if (kept !== was) this.setDepths(w, was & ~kept, depth);
        active[w] = kept;
        live |= kept;
      }
      if (live === 0) break;
    }
    for (let w = 0; w < words; w++) if (active[w] !== 0) this.setDepths(w, active[w], depth);
    for (const workerId of first.entries.keys()) matched.set(workerId, this.depths[this.slots.slotOf(workerId)]);
    return matched;
  }

  /** `hashes` were routed to `workerId`: insert or touch every block. */
  insert(hashes: readonly bigint[], workerId: string): void {
    this.maybeEvict();
    const at = this.now();
    let prev: TreeNode | undefined;
    for (let depth = 0; depth < hashes.length; depth++) {
      const hash = hashes[depth];
      let node = prev === undefined ? this.nodes.get(hash) : this.nodeAfter(prev, hash);
      if (node === undefined) this.nodes.set(hash, (node = { hash, parent: prev, next: undefined, live: true, entries: new Map(), holder: -1, mask: undefined }));
      if (prev !== undefined) prev.next = node;
      prev = node;
      const entry = node.entries.get(workerId);
      if (entry !== undefined) entry.lastUsedMs = at;
      else {
        node.entries.set(workerId, { lastUsedMs: at, depth });
        this.setBit(node, this.slots.slotOf(workerId));
        this.perWorker.set(workerId, (this.perWorker.get(workerId) ?? 0) + 1);
        this.entries++;
      }
    }
  }

  /** The node of `hash` when it follows `prev`: its shortcut when it matches, else the map's. */
  private nodeAfter(prev: TreeNode, hash: bigint): TreeNode | undefined {
    const next = prev.next;
    return next !== undefined && next.live && next.hash === hash ? next : this.nodes.get(hash);
  }

  /** depths[slot] = depth for every slot set in word `w`'s `bits`. */
  private setDepths(w: number, bits: number, depth: number): void {
    if (this.depths.length < 32 * this.slots.words) this.depths = new Int32Array(32 * this.slots.words);
    for (let b = bits; b !== 0; b &= b - 1) this.depths[32 * w + (31 - Math.clz32(b & -b))] = depth;
  }

  private setBit(node: TreeNode, slot: number): void {
    if (node.mask === undefined) {
      if (node.holder < 0) {
        node.holder = slot;
        return;
      }
      node.mask = new Uint32Array(this.slots.words);
      node.mask[node.holder >>> 5] |= 1 << (node.holder & 31);
      node.holder = -1;
    } else if (node.mask.length <= slot >>> 5) {
      const grown = new Uint32Array(this.slots.words);
      grown.set(node.mask);
      node.mask = grown;
    }
    node.mask[slot >>> 5] |= 1 << (slot & 31);
  }

  /** Drop one (block, worker) entry; a worker left with none gives its slot back. */
  private dropEntry(hash: bigint, node: TreeNode, workerId: string): void {
    node.entries.delete(workerId);
    const slot = this.slots.slotOf(workerId);
    if (node.mask !== undefined) node.mask[slot >>> 5] &= ~(1 << (slot & 31));
    else if (node.holder === slot) node.holder = -1;
    if (node.entries.size === 0) {
      this.nodes.delete(hash);
      // No shortcut may lead to a node the map no longer holds.
      node.live = false;
      if (node.parent?.next === node) node.parent.next = undefined;
    }
    const left = (this.perWorker.get(workerId) ?? 1) - 1;
    if (left > 0) this.perWorker.set(workerId, left);
    else {
      this.perWorker.delete(workerId);
      this.slots.release(workerId);
    }
    this.entries--;
  }

  /** Every 120 s: drop least recently used entries (deepest first among equals) down to the cap. */
  private maybeEvict(): void {
    const at = this.now();
    if (at - this.lastEvictionMs < EVICTION_INTERVAL_MS) return;
    this.lastEvictionMs = at;
    if (this.entries <= this.maxEntries) return;
    const all: { hash: bigint; workerId: string; entry: Entry }[] = [];
    for (const [hash, node] of this.nodes) for (const [workerId, entry] of node.entries) all.push({ hash, workerId, entry });
    // A prefix is touched whenever its extension is, so it is never older: leaves go first.
    all.sort((a, b) => a.entry.lastUsedMs - b.entry.lastUsedMs || b.entry.depth - a.entry.depth);
    for (let i = 0; i < all.length && this.entries > this.maxEntries; i++) this.dropEntry(all[i].hash, this.nodes.get(all[i].hash)!, all[i].workerId);
  }
}
