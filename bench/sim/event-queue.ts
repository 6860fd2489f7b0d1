/** A min-heap of timed events; equal times pop in push order, so a replay is deterministic. */

interface Item<T> {
  readonly at: number;
  readonly seq: number;
  readonly value: T;
}

/** Events ordered by (time, push order). */
export class EventQueue<T> {
  private readonly heap: Item<T>[] = [];
  private pushed = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, value: T): void {
    const heap = this.heap;
    heap.push({ at, seq: this.pushed++, value });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  /** The earliest event, removed; undefined when empty. */
  pop(): { at: number; value: T } | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return { at: top.at, value: top.value };
  }
}

function before<T>(a: Item<T>, b: Item<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
