/**
 * cache-aware's approximate tree of routed prompts (SGLang's router keeps one per model): which
 * worker was sent which prompt prefixes, by block. A sequence hash names its whole prefix, so a
 * map from sequence hash to its workers is a radix tree over blocks whose paths are implicit.
 * Nothing here comes from the workers' caches: it is the router's guess, hence "approximate".
 * Blocks live in routed-prompt-nodes.ts, (block, worker) entries and their recency in
 * routed-prompt-entries.ts, both as typed-array columns.
 */
import { WorkerSlots } from "../indexer/worker-slots.js";
import { grownColumn, NONE } from "./int-columns.js";
import { RoutedPromptEntries } from "./routed-prompt-entries.js";
import { RoutedPromptNodes } from "./routed-prompt-nodes.js";

/** How often the tree is trimmed (SGLang's eviction interval). */
export const EVICTION_INTERVAL_MS = 120_000;

/**
 * Routed prompt prefixes per worker, trimmed LRU every 120 s down to a size cap. Recency is
 * the order of use, kept as a list (an insert's blocks count as used deepest first, so a
 * prompt's leaves go before its prefix): a trim drops from the list's head, work in proportion
 * to what it drops, where sorting every entry by a timestamp took seconds at the default cap.
 * That is the order of (last use, deepest first) whenever two inserts never share a clock
 * reading; between inserts in the same millisecond, the later one is the more recent.
 */
export class RoutedPromptTree {
  private readonly nodes = new RoutedPromptNodes();
  private readonly entries = new RoutedPromptEntries();
  private readonly slots = new WorkerSlots();
  /**
   * The slot of each worker holding entries: WorkerSlots.slotOf gives an unknown worker a
   * slot, and a candidate never routed to must not take one just by being scored.
   */
  private readonly slotOf = new Map<string, number>();
  private liveBlocks = 0;
  /** Entries per slot: a worker's slot is released when it has none. */
  private perSlot: Int32Array = new Int32Array(32);
  /** Depth of each slot's run in the current match, and one insert's entries (scratch). */
  private depths: Int32Array = new Int32Array(32);
  private touched: Int32Array = new Int32Array(256);
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
    return this.entries.size;
  }

  /** Blocks held (each with at least one entry). */
  get blocks(): number {
    return this.liveBlocks;
  }

  /**
   * Per worker, how many leading blocks of `hashes` were routed to it (absent: none), listed in
   * the first block's order.
   */
  match(hashes: readonly bigint[]): Map<string, number> {
    const matched = new Map<string, number>();
    const first = this.walk(hashes);
    if (first === NONE) return matched;
    const { slot, nextInNode } = this.entries;
    for (let e = this.nodes.firstEntry[first]; e !== NONE; e = nextInNode[e]) matched.set(this.slots.workerAt(slot[e]), this.depths[slot[e]]);
    return matched;
  }

  /**
   * {@link match} for each of `workers` in order (0: none), without a Map: cache-aware scores
   * every candidate on every decision, and the Map was an eighth of a decision's garbage.
   */
  matchEach(hashes: readonly bigint[], workers: readonly { readonly workerId: string }[]): number[] {
    const first = this.walk(hashes);
    const runs = new Array<number>(workers.length).fill(0);
    if (first === NONE) return runs;
    for (let i = 0; i < workers.length; i++) {
      const slot = this.slotOf.get(workers[i].workerId);
      // depths holds this walk's runs only for the first block's holders.
      if (slot !== undefined && this.nodes.holds(first, slot)) runs[i] = this.depths[slot];
    }
    return runs;
  }

  /**
   * The node of `hashes[0]` (NONE: none), with depths[slot] the run of each of its holders. The
   * workers whose run is unbroken are a bit set, ANDed with each block's; a worker's run ends
   * at the first block whose set lacks it.
   */
  private walk(hashes: readonly bigint[]): number {
    this.maybeEvict();
    const nodes = this.nodes;
    const first = hashes.length > 0 ? nodes.find(hashes[0]) : NONE;
    if (first === NONE) return NONE;
    const words = this.slots.words;
    if (this.depths.length < 32 * words) this.depths = new Int32Array(32 * words);
    const active = this.slots.scratch();
    for (let w = 0; w < words; w++) active[w] = nodes.holderWord(first, w);
    let depth = 1;
    let prev = first;
    for (; depth < hashes.length; depth++) {
      const node = nodes.after(prev, hashes[depth]);
      if (node === NONE) break;
      prev = node;
      let live = 0;
      for (let w = 0; w < words; w++) {
        const was = active[w] | 0;
        if (was === 0) continue;
        const kept = was & nodes.holderWord(node, w);
        if (kept !== was) this.setDepths(w, was & ~kept, depth);
        active[w] = kept;
        live |= kept;
      }
      if (live === 0) break;
    }
    for (let w = 0; w < words; w++) if (active[w] !== 0) this.setDepths(w, active[w], depth);
    return first;
  }

  /** `hashes` were routed to `workerId`: insert or touch every block, the deepest the least recent of them. */
  insert(hashes: readonly bigint[], workerId: string): void {
    this.maybeEvict();
    if (hashes.length === 0) return;
    const slot = this.slots.slotOf(workerId);
    this.slotOf.set(workerId, slot);
    if (this.touched.length < hashes.length) this.touched = new Int32Array(2 * hashes.length);
    const nodes = this.nodes;
    let prev = NONE;
    for (let depth = 0; depth < hashes.length; depth++) {
      const hash = hashes[depth];
      let node = prev === NONE ? nodes.find(hash) : nodes.after(prev, hash);
      if (node === NONE) node = nodes.add(hash);
      if (prev !== NONE) nodes.next[prev] = node;
      prev = node;
      this.touched[depth] = this.entryOf(node, slot, depth === 0 ? NONE : this.touched[depth - 1] + 1);
    }
    for (let depth = hashes.length - 1; depth >= 0; depth--) this.entries.touch(this.touched[depth]);
  }

  /** depths[slot] = depth for every slot set in word `w`'s `bits`. */
  private setDepths(w: number, bits: number, depth: number): void {
    for (let b = bits; b !== 0; b &= b - 1) this.depths[32 * w + (31 - Math.clz32(b & -b))] = depth;
  }

  /** The entry of (`node`, `slot`), added at the end of the node's holders when new; `guess` may name it. */
  private entryOf(node: number, slot: number, guess: number): number {
    const nodes = this.nodes;
    if (nodes.holds(node, slot)) {
      const { node: nodeOf, slot: slotOf, nextInNode } = this.entries;
      // A prompt's entries were mostly added by one insert, so with consecutive ids: the guess
      // (the previous block's entry + 1) skips walking a shared block's holders (up to every worker).
      if (guess >= 0 && guess < nodeOf.length && nodeOf[guess] === node && slotOf[guess] === slot) return guess;
      let e = nodes.firstEntry[node];
      while (slotOf[e] !== slot) e = nextInNode[e];
      return e;
    }
    const e = this.entries.add(node, slot);
    const last = nodes.lastEntry[node];
    if (last === NONE) {
      nodes.firstEntry[node] = e;
      this.liveBlocks++;
    } else this.entries.nextInNode[last] = e;
    nodes.lastEntry[node] = e;
    nodes.setBit(node, slot, this.slots.words);
    if (slot >= this.perSlot.length) this.perSlot = grownColumn(this.perSlot, slot, 0);
    this.perSlot[slot]++;
    return e;
  }

  /** Drop entry `e`; a block left with none leaves the tree, a worker left with none gives its slot back. */
  private dropEntry(e: number): void {
    const { node: nodeOf, slot: slotOf, nextInNode } = this.entries;
    const nodes = this.nodes;
    const node = nodeOf[e];
    const slot = slotOf[e];
    let before = NONE;
    for (let at = nodes.firstEntry[node]; at !== e; at = nextInNode[at]) before = at;
    if (before === NONE) nodes.firstEntry[node] = nextInNode[e];
    else nextInNode[before] = nextInNode[e];
    if (nodes.lastEntry[node] === e) nodes.lastEntry[node] = before;
    nodes.clearBit(node, slot);
    this.entries.remove(e);
    if (--this.perSlot[slot] === 0) {
      this.slotOf.delete(this.slots.workerAt(slot));
      this.slots.release(this.slots.workerAt(slot));
    }
    if (nodes.firstEntry[node] === NONE) {
      this.liveBlocks--;
      nodes.drop(node);
    }
  }

  /** Every 120 s: drop the least recently used entries (leaves before their prefixes) down to the cap. */
  private maybeEvict(): void {
    const at = this.now();
    if (at - this.lastEvictionMs < EVICTION_INTERVAL_MS) return;
    this.lastEvictionMs = at;
    while (this.entries.size > this.maxEntries) this.dropEntry(this.entries.head);
  }
}
