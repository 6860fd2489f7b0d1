/**
 * The block pool's free queue in LRU order (vLLM v1's FreeKVCacheBlockQueue): an intrusive
 * doubly linked list over block ids, in two Int32Arrays allocated once. Removing a block from
 * the middle (a prefix hit on a free cached block) and appending one are O(1) and allocate
 * nothing, so the queue costs the same memory whether the cache is empty or full.
 */

/** No block: the end of the list. */
const NONE = -1;

/** Block ids 0..numBlocks-1, each at most once; the head is the least recently freed. */
export class FreeBlockQueue {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly member: Uint8Array;
  private head = NONE;
  private tail = NONE;
  private count = 0;

  /** Starts with every block free, in id order (block 0 goes first). */
  constructor(numBlocks: number) {
    this.prev = new Int32Array(numBlocks);
    this.next = new Int32Array(numBlocks);
    this.member = new Uint8Array(numBlocks);
    for (let id = 0; id < numBlocks; id++) this.append(id);
  }

  /** Blocks in the queue. */
  get size(): number {
    return this.count;
  }

  /** Whether `id` is in the queue. */
  has(id: number): boolean {
    return this.member[id] === 1;
  }

  /** Takes the least recently freed block; throws when the queue is empty (callers check size). */
  popHead(): number {
    const id = this.head;
    if (id === NONE) throw new Error("free block queue is empty");
    this.remove(id);
    return id;
  }

  /** Adds `id` at the tail (most recently freed); a block already queued is a caller bug. */
  append(id: number): void {
    if (this.member[id] === 1) throw new Error(`block ${id} is already free`);
    this.member[id] = 1;
    this.prev[id] = this.tail;
    this.next[id] = NONE;
    if (this.tail === NONE) this.head = id;
    else this.next[this.tail] = id;
    this.tail = id;
    this.count++;
  }

  /** Takes `id` out of the queue wherever it is; a block not queued is a caller bug. */
  remove(id: number): void {
    if (this.member[id] !== 1) throw new Error(`block ${id} is not free`);
    const p = this.prev[id];
    const n = this.next[id];
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
    this.member[id] = 0;
    this.count--;
  }

  /** The queued ids from head to tail (a snapshot: the caller may change the queue meanwhile). */
  ids(): number[] {
    const out: number[] = [];
    for (let id = this.head; id !== NONE; id = this.next[id]) out.push(id);
    return out;
  }
}
