/**
 * The (block, worker) entries of cache-aware's tree of routed prompts as integer columns, and
 * their least-recently-used order as a doubly linked list through them. Columns, not an object
 * per entry: the tree reached ~120,000 blocks in bench:router, and while it grew every young
 * collection copied its new objects (a Map and an entry object per block), 20–80 ms a scavenge.
 */
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
  private older: Int32Array = new Int32Array(1024).fill(NONE);
  private newer: Int32Array = new Int32Array(1024).fill(NONE);
  /** Least recently used entry (first to trim), or NONE. */
  head = NONE;
  private tail = NONE;
  /** Freed ids, linked through nextInNode (a JS array of them grew on the heap during a trim). */
  private freed = NONE;
  private nextId = 0;
  /** Entries held. */
  size = 0;

  /** A new entry of `node` for `slot`, most recently used, not yet listed in its node. */
  add(node: number, slot: number): number {
    let id = this.freed;
    if (id === NONE) id = this.grow(this.nextId++);
    else this.freed = this.nextInNode[id];
    this.node[id] = node;
    this.slot[id] = slot;
    this.nextInNode[id] = NONE;
    this.linkAsTail(id);
    this.size++;
    return id;
  }

  /** `id` was used now: it moves to the LRU list's tail. */
  touch(id: number): void {
    if (id === this.tail) return;
    this.unlink(id);
    this.linkAsTail(id);
  }

  /** Forget `id` (its node has already unlisted it); the id may be reused. */
  remove(id: number): void {
    this.unlink(id);
    this.node[id] = NONE;
    this.slot[id] = NONE;
    this.nextInNode[id] = this.freed;
    this.freed = id;
    this.size--;
  }

  /** Links `id` (not in the list) after the tail. */
  private linkAsTail(id: number): void {
    this.older[id] = this.tail;
    this.newer[id] = NONE;
    if (this.tail === NONE) this.head = id;
    else this.newer[this.tail] = id;
    this.tail = id;
  }

  private unlink(id: number): void {
    const older = this.older[id];
    const newer = this.newer[id];
    if (older === NONE) this.head = newer;
    else this.newer[older] = newer;
    if (newer === NONE) this.tail = older;
    else this.older[newer] = older;
  }

  /** Room for entry `id` in every column; returns `id`. */
  private grow(id: number): number {
    if (id < this.node.length) return id;
    this.node = grownColumn(this.node, id);
    this.slot = grownColumn(this.slot, id);
    this.nextInNode = grownColumn(this.nextInNode, id);
    this.older = grownColumn(this.older, id);
    this.newer = grownColumn(this.newer, id);
    return id;
  }
}
