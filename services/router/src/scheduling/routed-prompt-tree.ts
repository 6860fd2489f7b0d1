/**
 * cache-aware's approximate tree of routed prompts (SGLang's router keeps one per model): which
 * worker was sent which prompt prefixes, by block. A sequence hash names its whole prefix, so a
 * map from sequence hash to its workers is a radix tree over blocks whose paths are implicit.
 * Nothing here comes from the workers' caches: it is the router's guess, hence "approximate".
 *
 * Blocks are integer node ids into columns, found by hash in a typed-array table
 * (hash-id-table.ts), and (block, worker) entries live in routed-prompt-entries.ts: no object
 * per block, where a growing tree of objects (a node, a Map and an entry object per block)
 * made every young collection copy them (bench:router: 20–80 ms scavenges while ~120,000
 * blocks arrived) and a Map<bigint> cost ~0.3–0.5 µs per new block.
 */
import { WorkerSlots } from "../indexer/worker-slots.js";
import { HashIdTable, splitHash } from "./hash-id-table.js";
import { grownColumn, NONE, RoutedPromptEntries } from "./routed-prompt-entries.js";

/** freedNext of a node not in the free list. */
const NOT_FREED = -2;

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
  private readonly ids = new HashIdTable();
  private readonly entries = new RoutedPromptEntries();
  private readonly slots = new WorkerSlots();
  /** Per node: its hash's low and high halves (a shortcut is taken only when both match). */
  private hashLo: Int32Array = new Int32Array(1024);
  private hashHi: Int32Array = new Int32Array(1024);
  private nodeCount = 0;
  /** Per node: the child last routed through, so a walk along a chain compares one hash instead of a map lookup per block. */
  private next: Int32Array = new Int32Array(1024).fill(NONE);
  /** Per node: its first and last entry (holders in the order they were routed there). */
  private firstEntry: Int32Array = new Int32Array(1024).fill(NONE);
  private lastEntry: Int32Array = new Int32Array(1024).fill(NONE);
  /** Per node: the only holder's slot while there has been at most one (most blocks: a prompt's own tail), else NONE. */
  private holder: Int32Array = new Int32Array(1024).fill(NONE);
  /**
   * Per node: its holders as a bit set of slots, once there were two (matching ANDs 32 workers a
   * word), as an index into `masks`, else NONE; freed bit sets are reused.
   */
  private maskAt: Int32Array = new Int32Array(1024).fill(NONE);
  private readonly masks: Uint32Array[] = [];
  private readonly freedMasks: number[] = [];
  /**
   * Trimmed nodes, reused for new blocks. A trimmed node keeps its hash in the table until its
   * id is reused (then one delete, paid by the insert that needs the id): deleting from the
   * table was most of a trim's time, and a trim runs inside a decision. Until then a lookup
   * finds it holding nobody: a match ends there, an insert revives it.
   */
  private freedNodes = NONE;
  /** Per node: the next in freedNodes (NONE: the last), or NOT_FREED; a revived node stays listed once. */
  private freedNext: Int32Array = new Int32Array(1024).fill(NOT_FREED);
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
   * the first block's order. The workers whose run is unbroken are a bit set, ANDed with each
   * block's; a worker's run ends at the first block whose set lacks it.
   */
  match(hashes: readonly bigint[]): Map<string, number> {
    this.maybeEvict();
    const matched = new Map<string, number>();
    const first = hashes.length > 0 ? this.ids.get(splitHash(hashes[0])) : NONE;
    if (first === NONE) return matched;
    const words = this.slots.words;
    if (this.depths.length < 32 * words) this.depths = new Int32Array(32 * words);
    const active = this.slots.scratch();
    for (let w = 0; w < words; w++) active[w] = this.holderWord(first, w);
    let depth = 1;
    let prev = first;
    for (; depth < hashes.length; depth++) {
      const node = this.nodeAfter(prev, hashes[depth]);
      if (node === NONE) break;
      prev = node;
      let live = 0;
      for (let w = 0; w < words; w++) {
        const was = active[w] | 0;
        if (was === 0) continue;
        const kept = was & this.holderWord(node, w);
        if (kept !== was) this.setDepths(w, was & ~kept, depth);
        active[w] = kept;
        live |= kept;
      }
      if (live === 0) break;
    }
    for (let w = 0; w < words; w++) if (active[w] !== 0) this.setDepths(w, active[w], depth);
    const { slot, nextInNode } = this.entries;
    for (let e = this.firstEntry[first]; e !== NONE; e = nextInNode[e]) matched.set(this.slots.workerAt(slot[e]), this.depths[slot[e]]);
    return matched;
  }

  /** `hashes` were routed to `workerId`: insert or touch every block, the deepest the least recent of them. */
  insert(hashes: readonly bigint[], workerId: string): void {
    this.maybeEvict();
    if (hashes.length === 0) return;
    const slot = this.slots.slotOf(workerId);
    if (this.touched.length < hashes.length) this.touched = new Int32Array(2 * hashes.length);
    let prev = NONE;
    for (let depth = 0; depth < hashes.length; depth++) {
      const hash = hashes[depth];
      let node = prev === NONE ? this.ids.get(splitHash(hash)) : this.nodeAfter(prev, hash);
      if (node === NONE) node = this.addNode(splitHash(hash));
      if (prev !== NONE) this.next[prev] = node;
      prev = node;
      this.touched[depth] = this.entryOf(node, slot);
    }
    for (let depth = hashes.length - 1; depth >= 0; depth--) this.entries.touch(this.touched[depth]);
  }

  /** The node of `hash` when it follows `prev`: its shortcut when it matches, else the table's. */
  private nodeAfter(prev: number, hash: bigint): number {
    const halves = splitHash(hash);
    const next = this.next[prev];
    if (next !== NONE && this.firstEntry[next] !== NONE && this.hashLo[next] === halves[0] && this.hashHi[next] === halves[1]) return next;
    return this.ids.get(halves);
  }

  /** Word `w` of a node's holder bit set. */
  private holderWord(node: number, w: number): number {
    const at = this.maskAt[node];
    if (at !== NONE) return this.masks[at][w] ?? 0;
    const holder = this.holder[node];
    return holder >= 0 && holder >>> 5 === w ? 1 << (holder & 31) : 0;
  }

  /** depths[slot] = depth for every slot set in word `w`'s `bits`. */
  private setDepths(w: number, bits: number, depth: number): void {
    for (let b = bits; b !== 0; b &= b - 1) this.depths[32 * w + (31 - Math.clz32(b & -b))] = depth;
  }

  /** A node for the hash split into `halves` (not in the table). */
  private addNode(halves: Int32Array): number {
    const lo = halves[0];
    const hi = halves[1];
    let node = this.reusedNode();
    if (node === NONE) node = this.nodeCount++;
    if (node >= this.next.length) {
      this.next = grownColumn(this.next, node);
      this.firstEntry = grownColumn(this.firstEntry, node);
      this.lastEntry = grownColumn(this.lastEntry, node);
      this.holder = grownColumn(this.holder, node);
      this.maskAt = grownColumn(this.maskAt, node);
      this.hashLo = grownColumn(this.hashLo, node);
      this.hashHi = grownColumn(this.hashHi, node);
      this.freedNext = grownColumn(this.freedNext, node, NOT_FREED);
    }
    this.hashLo[node] = lo;
    this.hashHi[node] = hi;
    this.ids.set(lo, hi, node);
    return node;
  }

  /** A trimmed node's id, its old hash now out of the table; NONE when none is free. */
  private reusedNode(): number {
    while (this.freedNodes !== NONE) {
      const node = this.freedNodes;
      this.freedNodes = this.freedNext[node];
      this.freedNext[node] = NOT_FREED;
      // Revived by an insert since its trim: in use.
      if (this.firstEntry[node] !== NONE) continue;
      this.ids.delete(this.hashLo[node], this.hashHi[node]);
      return node;
    }
    return NONE;
  }

  /** The entry of (`node`, `slot`), added at the end of the node's holders when new. */
  private entryOf(node: number, slot: number): number {
    if (this.holds(node, slot)) {
      const { slot: slotOf, nextInNode } = this.entries;
      let e = this.firstEntry[node];
      while (slotOf[e] !== slot) e = nextInNode[e];
      return e;
    }
    const e = this.entries.add(node, slot);
    const last = this.lastEntry[node];
    if (last === NONE) {
      this.firstEntry[node] = e;
      this.liveBlocks++;
    } else this.entries.nextInNode[last] = e;
    this.lastEntry[node] = e;
    this.setBit(node, slot);
    if (slot >= this.perSlot.length) this.perSlot = grownColumn(this.perSlot, slot, 0);
    this.perSlot[slot]++;
    return e;
  }

  private holds(node: number, slot: number): boolean {
    return (this.holderWord(node, slot >>> 5) & (1 << (slot & 31))) !== 0;
  }

  private setBit(node: number, slot: number): void {
    let at = this.maskAt[node];
    if (at === NONE) {
      const only = this.holder[node];
      if (only === NONE) {
        this.holder[node] = slot;
        return;
      }
      at = this.maskAt[node] = this.newMask();
      this.masks[at][only >>> 5] |= 1 << (only & 31);
      this.holder[node] = NONE;
    }
    let mask = this.masks[at];
    if (mask.length <= slot >>> 5) {
      const grown = new Uint32Array(this.slots.words);
      grown.set(mask);
      mask = this.masks[at] = grown;
    }
    mask[slot >>> 5] |= 1 << (slot & 31);
  }

  /** A cleared bit set of every slot word, reused when one was freed. */
  private newMask(): number {
    const reused = this.freedMasks.pop();
    if (reused === undefined) return this.masks.push(new Uint32Array(this.slots.words)) - 1;
    if (this.masks[reused].length < this.slots.words) this.masks[reused] = new Uint32Array(this.slots.words);
    else this.masks[reused].fill(0);
    return reused;
  }

  /** Drop entry `e`; a block left with none leaves the tree, a worker left with none gives its slot back. */
  private dropEntry(e: number): void {
    const { node: nodeOf, slot: slotOf, nextInNode } = this.entries;
    const node = nodeOf[e];
    const slot = slotOf[e];
    let before = NONE;
    for (let at = this.firstEntry[node]; at !== e; at = nextInNode[at]) before = at;
    if (before === NONE) this.firstEntry[node] = nextInNode[e];
    else nextInNode[before] = nextInNode[e];
    if (this.lastEntry[node] === e) this.lastEntry[node] = before;
    const at = this.maskAt[node];
    if (at !== NONE) this.masks[at][slot >>> 5] &= ~(1 << (slot & 31));
    else this.holder[node] = NONE;
    this.entries.remove(e);
    if (--this.perSlot[slot] === 0) this.slots.release(this.slots.workerAt(slot));
    if (this.firstEntry[node] === NONE) this.dropNode(node);
  }

  /** `node` holds nobody now; it stays in the table until its id is reused. */
  private dropNode(node: number): void {
    this.liveBlocks--;
    // firstEntry is NONE now: a shortcut still naming this id is not taken (nodeAfter checks it).
    if (this.maskAt[node] !== NONE) this.freedMasks.push(this.maskAt[node]);
    this.maskAt[node] = NONE;
    this.next[node] = NONE;
    this.holder[node] = NONE;
    this.lastEntry[node] = NONE;
    if (this.freedNext[node] === NOT_FREED) {
      this.freedNext[node] = this.freedNodes;
      this.freedNodes = node;
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
