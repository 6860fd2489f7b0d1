/**
 * The (block, worker) entries of cache-aware's tree of routed prompts as integer columns, and
 * their least-recently-used order as a doubly linked list through them (#common/int-list.ts, the
 * list of the worker's free block queue too). Columns, not an object per entry: the tree reached
 * ~120,000 blocks in bench:router, and while it grew every young collection copied its new
 * objects (a Map and an entry object per block), 20–80 ms a scavenge.
 */
import { IntList } from "#common/int-list.js";
import { grownColumn, NONE } from "./int-columns.js";

/**
 * Entries by id: the node and worker slot each belongs to, the next entry of the same node (a
 * node lists its holders in the order they were routed there), and the LRU list (head: least
 * recently used). Freed ids are reused, so the columns stay as long as the tree's peak.
 */
export class RoutedPromptEntries {
  node: Int32Array = new Int32Array(1024).fill(NONE);
  slot: Int32Array = new Int32Array(1024).fill(NONE);
  nextInNode: Int32Array = new Int32Array(1024).fill(NONE);
  /** The LRU order, least recently used first. */
  private readonly lru = new IntList(1024);
  /** Freed ids, linked through nextInNode (a JS array of them grew on the heap during a trim). */
  private freed = NONE;
  private nextId = 0;
  /** Entries held. */
  size = 0;

  /** Least recently used entry (first to trim), or NONE. */
  get head(): number {
    return this.lru.head;
  }

  /** A new entry of `node` for `slot`, most recently used, not yet listed in its node. */
  add(node: number, slot: number): number {
    let id = this.freed;
    if (id === NONE) id = this.grow(this.nextId++);
    else this.freed = this.nextInNode[id];
    this.node[id] = node;
    this.slot[id] = slot;
    this.nextInNode[id] = NONE;
    this.lru.append(id);
    this.size++;
    return id;
  }

  /** `id` was used now: it moves to the LRU list's tail. */
  touch(id: number): void {
    if (id === this.lru.tail) return;
    this.lru.unlink(id);
    this.lru.append(id);
  }

  /** Forget `id` (its node has already unlisted it); the id may be reused. */
  remove(id: number): void {
    this.lru.unlink(id);
    this.node[id] = NONE;
    this.slot[id] = NONE;
    this.nextInNode[id] = this.freed;
    this.freed = id;
    this.size--;
  }

  /** Room for entry `id` in every column; returns `id`. */
  private grow(id: number): number {
    if (id < this.node.length) return id;
    this.node = grownColumn(this.node, id);
    this.slot = grownColumn(this.slot, id);
    this.nextInNode = grownColumn(this.nextInNode, id);
    this.lru.grow(this.node.length);
    return id;
  }
}
