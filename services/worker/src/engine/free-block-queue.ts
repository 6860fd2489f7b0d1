/**
 * The block pool's free queue in LRU order (vLLM v1's FreeKVCacheBlockQueue): an intrusive
 * doubly linked list over block ids (#common/int-list.ts), allocated once. Removing a block from
 * the middle (a prefix hit on a free cached block) and appending one are O(1) and allocate
 * nothing, so the queue costs the same memory whether the cache is empty or full.
 */
import { IntList, NONE } from "#common/int-list.js";

/** Block ids 0..numBlocks-1, each at most once; the head is the least recently freed. */
export class FreeBlockQueue {
  private readonly list: IntList;
  private readonly member: Uint8Array;
  private count = 0;

  /** Starts with every block free, in id order (block 0 goes first). */
  constructor(numBlocks: number) {
    this.list = new IntList(numBlocks);
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
    const id = this.list.head;
    if (id === NONE) throw new Error("free block queue is empty");
    this.remove(id);
    return id;
  }

  /** Adds `id` at the tail (most recently freed); a block already queued is a caller bug. */
  append(id: number): void {
    if (this.member[id] === 1) throw new Error(`block ${id} is already free`);
    this.member[id] = 1;
    this.list.append(id);
    this.count++;
  }

  /** Takes `id` out of the queue wherever it is; a block not queued is a caller bug. */
  remove(id: number): void {
    if (this.member[id] !== 1) throw new Error(`block ${id} is not free`);
    this.list.unlink(id);
    this.member[id] = 0;
    this.count--;
  }

  /** The queued ids from head to tail (a snapshot: the caller may change the queue meanwhile). */
  ids(): number[] {
    const out: number[] = [];
    for (let id = this.list.head; id !== NONE; id = this.list.after(id)) out.push(id);
    return out;
  }
}
