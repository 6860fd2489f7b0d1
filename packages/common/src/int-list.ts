/**
 * An intrusive doubly linked list over integer ids, its links in two Int32Arrays: appending an
 * id and taking one out from anywhere are O(1) and allocate nothing. The worker's free block
 * queue (vLLM v1's FreeKVCacheBlockQueue) and the router's LRU order of cache-aware's routed
 * prompt entries are both this list; each keeps its own membership and counts.
 */

/** No id: the end of a list (and an empty field of the id columns that use the list). */
export const NONE = -1;

/** Ids 0..capacity−1, each at most once; the caller knows which ids are listed. */
export class IntList {
  private prev: Int32Array;
  private next: Int32Array;
  /** The first id (the oldest appended), or NONE. */
  head = NONE;
  /** The last id (the newest appended), or NONE. */
  tail = NONE;

  constructor(capacity: number) {
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
  }

  /** Ids this list has room for (0..capacity−1). */
  get capacity(): number {
    return this.prev.length;
  }

  /** Room for ids below `capacity` (no-op when it has that already); listed ids keep their links. */
  grow(capacity: number): void {
    if (capacity <= this.prev.length) return;
    const prev = new Int32Array(capacity);
    const next = new Int32Array(capacity);
    prev.set(this.prev);
    next.set(this.next);
    this.prev = prev;
    this.next = next;
  }

  /** Links `id`, not listed, after the tail. */
  append(id: number): void {
    this.prev[id] = this.tail;
    this.next[id] = NONE;
    if (this.tail === NONE) this.head = id;
    else this.next[this.tail] = id;
    this.tail = id;
  }

  /** Takes the listed `id` out, wherever it is. */
  unlink(id: number): void {
    const p = this.prev[id];
    const n = this.next[id];
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
  }

  /** The id after the listed `id` (towards the tail), or NONE. */
  after(id: number): number {
    return this.next[id];
  }
}
