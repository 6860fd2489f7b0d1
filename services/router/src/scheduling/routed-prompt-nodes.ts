/**
 * The blocks of cache-aware's tree of routed prompts as integer node ids into columns, found
 * by hash in a typed-array table (hash-id-table.ts), with each block's holders: one slot while
 * there is one (most blocks: a prompt's own tail), else a bit set of worker slots. No object
 * per block: a growing tree of objects (a node, a Map and an entry object per block) made every
 * young collection copy them (bench:router: 20–80 ms scavenges while ~120,000 blocks arrived),
 * and a Map<bigint> cost ~0.3–0.5 µs per new block.
 */
import { HashIdTable, splitHash } from "./hash-id-table.js";
import { grownColumn, NONE } from "./int-columns.js";

/** freedNext of a node not in the free list. */
const NOT_FREED = -2;

/** Node columns; the tree links them to their entries (firstEntry, lastEntry). */
export class RoutedPromptNodes {
  private readonly ids = new HashIdTable();
  /** Per node: its hash's low and high halves (a shortcut is taken only when both match). */
  private hashLo: Int32Array = new Int32Array(1024);
  private hashHi: Int32Array = new Int32Array(1024);
  private count = 0;
  /** Per node: the child last routed through, so a walk along a chain compares one hash instead of a table lookup per block. */
  next: Int32Array = new Int32Array(1024).fill(NONE);
  /** Per node: its first and last entry (holders in the order they were routed there); NONE: it holds nobody. */
  firstEntry: Int32Array = new Int32Array(1024).fill(NONE);
  lastEntry: Int32Array = new Int32Array(1024).fill(NONE);
  /** Per node: the only holder's slot while there has been at most one, else NONE. */
  private holder: Int32Array = new Int32Array(1024).fill(NONE);
  /** Per node: an index into `masks` once there were two holders (matching ANDs 32 workers a word), else NONE. */
  private maskAt: Int32Array = new Int32Array(1024).fill(NONE);
  private readonly masks: Uint32Array[] = [];
  private readonly freedMasks: number[] = [];
  /**
   * Trimmed nodes, reused for new blocks. A trimmed node keeps its hash in the table until its
   * id is reused (then one delete, paid by the insert that needs the id): deleting from the
   * table was most of a trim's time, and a trim runs inside a decision. Until then a lookup
   * finds it holding nobody: a match ends there, an insert revives it.
   */
  private freed = NONE;
  /** Per node: the next in the free list (NONE: the last), or NOT_FREED; a revived node stays listed once. */
  private freedNext: Int32Array = new Int32Array(1024).fill(NOT_FREED);

  /** The node of `hash`, or NONE. */
  find(hash: bigint): number {
    return this.ids.get(splitHash(hash));
  }

  /** The node of `hash` when it follows `prev`: its shortcut when it matches, else the table's. */
  after(prev: number, hash: bigint): number {
    const halves = splitHash(hash);
    const next = this.next[prev];
    if (next !== NONE && this.firstEntry[next] !== NONE && this.hashLo[next] === halves[0] && this.hashHi[next] === halves[1]) return next;
    return this.ids.get(halves);
  }

  /** A node for `hash`, which the table does not hold. */
  add(hash: bigint): number {
    const halves = splitHash(hash);
    const lo = halves[0];
    const hi = halves[1];
    let node = this.reused();
    if (node === NONE) node = this.count++;
    if (node >= this.next.length) this.grow(node);
    this.hashLo[node] = lo;
    this.hashHi[node] = hi;
    this.ids.set(lo, hi, node);
    return node;
  }

  /** Word `w` of a node's holder bit set. */
  holderWord(node: number, w: number): number {
    const at = this.maskAt[node];
    if (at !== NONE) return this.masks[at][w] ?? 0;
    const holder = this.holder[node];
    return holder >= 0 && holder >>> 5 === w ? 1 << (holder & 31) : 0;
  }

  /** Whether `slot` holds `node`. */
  holds(node: number, slot: number): boolean {
    return (this.holderWord(node, slot >>> 5) & (1 << (slot & 31))) !== 0;
  }

  /** `slot` holds `node`; bit sets are `words` long. */
  setBit(node: number, slot: number, words: number): void {
    let at = this.maskAt[node];
    if (at === NONE) {
      const only = this.holder[node];
      if (only === NONE) {
        this.holder[node] = slot;
        return;
      }
      at = this.maskAt[node] = this.newMask(words);
      this.masks[at][only >>> 5] |= 1 << (only & 31);
      this.holder[node] = NONE;
    }
    let mask = this.masks[at];
    if (mask.length <= slot >>> 5) {
      const grown = new Uint32Array(words);
      grown.set(mask);
      mask = this.masks[at] = grown;
    }
    mask[slot >>> 5] |= 1 << (slot & 31);
  }

  /** `slot` no longer holds `node`. */
  clearBit(node: number, slot: number): void {
    const at = this.maskAt[node];
    if (at !== NONE) this.masks[at][slot >>> 5] &= ~(1 << (slot & 31));
    else this.holder[node] = NONE;
  }

  /** `node` holds nobody now (firstEntry NONE); it stays in the table until its id is reused. */
  drop(node: number): void {
    if (this.maskAt[node] !== NONE) this.freedMasks.push(this.maskAt[node]);
    this.maskAt[node] = NONE;
    this.next[node] = NONE;
    this.holder[node] = NONE;
    this.lastEntry[node] = NONE;
    if (this.freedNext[node] === NOT_FREED) {
      this.freedNext[node] = this.freed;
      this.freed = node;
    }
  }

  /** A trimmed node's id, its old hash now out of the table; NONE when none is free. */
  private reused(): number {
    while (this.freed !== NONE) {
      const node = this.freed;
      this.freed = this.freedNext[node];
      this.freedNext[node] = NOT_FREED;
      // Revived by an insert since its trim: in use.
      if (this.firstEntry[node] !== NONE) continue;
      this.ids.delete(this.hashLo[node], this.hashHi[node]);
      return node;
    }
    return NONE;
  }

  /** A cleared bit set of `words` words, reused when one was freed. */
  private newMask(words: number): number {
    const reused = this.freedMasks.pop();
    if (reused === undefined) return this.masks.push(new Uint32Array(words)) - 1;
    if (this.masks[reused].length < words) this.masks[reused] = new Uint32Array(words);
    else this.masks[reused].fill(0);
    return reused;
  }

  private grow(node: number): void {
    this.next = grownColumn(this.next, node);
    this.firstEntry = grownColumn(this.firstEntry, node);
    this.lastEntry = grownColumn(this.lastEntry, node);
    this.holder = grownColumn(this.holder, node);
    this.maskAt = grownColumn(this.maskAt, node);
    this.hashLo = grownColumn(this.hashLo, node);
    this.hashHi = grownColumn(this.hashHi, node);
    this.freedNext = grownColumn(this.freedNext, node, NOT_FREED);
  }
}
