/**
 * A 64-bit hash → integer id table in one typed array (open addressing, linear probing), for
 * cache-aware's tree of routed prompts. A Map<bigint, number> cost ~0.3–0.5 µs per lookup or
 * insert at 130,000 blocks (bench:router inserts ~190 new blocks per new 4,096-token prompt),
 * and kept a BigInt object alive per block; here a key is its two 32-bit halves, stored with
 * its id in one 16-byte cell, so a probe reads one cache line.
 */

const scratch64 = new BigUint64Array(1);
const scratch32 = new Int32Array(scratch64.buffer);

/**
 * `hash` (mod 2^64) as two int32 halves, [low, high] in the platform's byte order, in a shared
 * scratch array valid until the next call: a typed-array store splits a BigInt without
 * allocating, where `hash & 0xffffffffn` makes a new BigInt per block.
 */
export function splitHash(hash: bigint): Int32Array {
  scratch64[0] = hash;
  return scratch32;
}

const EMPTY = -1;
/** Int32s per cell: low half, high half, id (−1: empty), padding. */
const CELL = 4;

/**
 * Hash → id, ids ≥ 0. The probe start mixes both halves with a per-table random seed: hashes
 * a caller supplies are trusted for routing, but must not be able to pile into one probe run.
 */
export class HashIdTable {
  private cells: Int32Array;
  /** Cells − 1 (cells are a power of two). */
  private mask: number;
  private readonly seed = (Math.random() * 2 ** 32) | 0;
  /** Keys held. */
  size = 0;

  constructor(capacity = 1024) {
    const cells = 2 ** Math.ceil(Math.log2(Math.max(16, 2 * capacity)));
    this.cells = HashIdTable.emptyCells(cells);
    this.mask = cells - 1;
  }

  /** The id of the hash split into `halves` (see {@link splitHash}), or −1. */
  get(halves: Int32Array): number {
    const lo = halves[0];
    const hi = halves[1];
    const cells = this.cells;
    for (let i = this.start(lo, hi); ; i = (i + 1) & this.mask) {
      const at = i * CELL;
      const id = cells[at + 2];
      if (id === EMPTY || (cells[at] === lo && cells[at + 1] === hi)) return id;
    }
  }

  /** Sets the hash whose halves are `lo`, `hi` → `id` (≥ 0), replacing any id it had. */
  set(lo: number, hi: number, id: number): void {
    if (2 * (this.size + 1) > this.mask + 1) this.rehash(2 * (this.mask + 1));
    this.put(lo, hi, id);
  }

  /** Removes the hash whose halves are `lo`, `hi`; false when absent. Later keys of its probe run shift back (no tombstones). */
  delete(lo: number, hi: number): boolean {
    const cells = this.cells;
    let hole = this.start(lo, hi);
    for (; cells[hole * CELL + 2] !== EMPTY; hole = (hole + 1) & this.mask) if (cells[hole * CELL] === lo && cells[hole * CELL + 1] === hi) break;
    if (cells[hole * CELL + 2] === EMPTY) return false;
    this.size--;
    for (let j = (hole + 1) & this.mask; cells[j * CELL + 2] !== EMPTY; j = (j + 1) & this.mask) {
      // The key at j moves into the hole unless its probe starts after the hole (cyclically) and at or before j.
      const home = this.start(cells[j * CELL], cells[j * CELL + 1]);
      if (((j - home) & this.mask) < ((j - hole) & this.mask)) continue;
      cells.copyWithin(hole * CELL, j * CELL, j * CELL + CELL);
      hole = j;
    }
    cells[hole * CELL + 2] = EMPTY;
    return true;
  }

  private put(lo: number, hi: number, id: number): void {
    const cells = this.cells;
    let i = this.start(lo, hi);
    while (cells[i * CELL + 2] !== EMPTY && !(cells[i * CELL] === lo && cells[i * CELL + 1] === hi)) i = (i + 1) & this.mask;
    const at = i * CELL;
    if (cells[at + 2] === EMPTY) this.size++;
    cells[at] = lo;
    cells[at + 1] = hi;
    cells[at + 2] = id;
  }

  private start(lo: number, hi: number): number {
    let h = lo ^ Math.imul(hi ^ this.seed, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & this.mask;
  }

  private rehash(cellCount: number): void {
    const old = this.cells;
    this.cells = HashIdTable.emptyCells(cellCount);
    this.mask = cellCount - 1;
    this.size = 0;
    for (let at = 0; at < old.length; at += CELL) if (old[at + 2] !== EMPTY) this.put(old[at], old[at + 1], old[at + 2]);
  }

  private static emptyCells(cells: number): Int32Array {
    const array = new Int32Array(cells * CELL);
    for (let at = 2; at < array.length; at += CELL) array[at] = EMPTY;
    return array;
  }
}
