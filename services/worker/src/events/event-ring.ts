import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";
import type { KvEventData } from "../engine/kv-events.js";
import { eventBytes } from "./event-bytes.js";

/** Why {@link EventRing.after} cannot serve a resume point. */
export interface OutOfRange {
  outOfRange: true;
  /** `too-old`: events after it were already dropped; `too-new`: beyond the last id (another epoch). */
  reason: "too-old" | "too-new";
  /** The oldest retained event id (lastEventId + 1 when the ring is empty). */
  oldestEventId: bigint;
  lastEventId: bigint;
}

/** Notified of every append, synchronously, and once when the ring closes. */
export interface EventRingListener {
  onEvents(events: readonly KvEvent[]): void;
  onClose(): void;
}

/** Retained events are moved down once this many dropped ones lie before them (amortised O(1)). */
const COMPACT_AFTER = 1024;

/**
 * A worker's KV events in id order: the one place ids are assigned (1, 2, 3... per epoch,
 * gap-free), a window of the newest events for StreamKvEvents resumes, bounded in memory
 * (bytes, not events: a prefill can store hundreds of blocks in one event), and live fan-out to
 * streams. Appends notify listeners synchronously, so a reader that takes `after()` and
 * registers a listener in the same tick sees every event exactly once. A reader whose resume
 * point was dropped gets OUT_OF_RANGE and resyncs from DumpKvState.
 */
export class EventRing {
  /** Retained events are `retained[head..]`, oldest first, ids oldestEventId..lastEventId. */
  private retained: (KvEvent | undefined)[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private last = 0n;
  private readonly listeners = new Set<EventRingListener>();
  private closed = false;

  /**
   * @param maxBytes the most memory retained events may take (at least 1): the oldest are
   *   dropped beyond it, so one event larger than the bound is fanned out but not retained.
   * @param sizeOf the cost of one event against `maxBytes` (default: its approximate heap bytes;
   *   tests pass `() => 1` to bound the ring in events).
   */
  constructor(readonly maxBytes: number, private readonly sizeOf: (event: KvEvent) => number = eventBytes) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`event ring bound must be a positive integer of bytes, got ${maxBytes}`);
  }

  /** Events retained now. */
  get retainedEvents(): number {
    return this.retained.length - this.head;
  }

  /** What the retained events cost, by `sizeOf` (≤ maxBytes). */
  get retainedBytes(): number {
    return this.bytes;
  }

  /** The id of the last event appended; 0 before the first. */
  get lastEventId(): bigint {
    return this.last;
  }

  /** The oldest retained id; lastEventId + 1 when nothing is retained. */
  get oldestEventId(): bigint {
    return this.last - BigInt(this.retainedEvents) + 1n;
  }

  /**
   * Assigns the next ids to `changes`, retains them (dropping the oldest beyond maxBytes) and
   * hands them to every listener as one batch. Returns the numbered events.
   */
  append(changes: readonly KvEventData[]): KvEvent[] {
    if (this.closed) throw new Error("event ring is closed");
    const events = changes.map((data) => {
      this.last += 1n;
      const event: KvEvent = { eventId: this.last, data };
      this.retain(event);
      return event;
    });
    if (events.length > 0) for (const listener of [...this.listeners]) listener.onEvents(events);
    return events;
  }

  /**
   * Retained events with id > `afterEventId`, oldest first; undefined means all retained.
   * Out of range when events after `afterEventId` were dropped, or it lies past the last id.
   */
  after(afterEventId?: bigint): KvEvent[] | OutOfRange {
    const oldest = this.oldestEventId;
    const from = afterEventId ?? oldest - 1n;
    if (from > this.last || from < oldest - 1n) {
      return { outOfRange: true, reason: from > this.last ? "too-new" : "too-old", oldestEventId: oldest, lastEventId: this.last };
    }
    return this.retained.slice(this.head + Number(from - oldest + 1n)) as KvEvent[];
  }

  /** Keeps `event`, then drops the oldest events until the retained ones fit in maxBytes. */
  private retain(event: KvEvent): void {
    const size = this.sizeOf(event);
    this.retained.push(event);
    this.sizes.push(size);
    this.bytes += size;
    while (this.bytes > this.maxBytes && this.head < this.retained.length) {
      this.bytes -= this.sizes[this.head];
      this.retained[this.head] = undefined; // collectable now, not at the next compaction
      this.head++;
    }
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.retained.length) {
      this.retained = this.retained.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  /** Registers a live listener; returns the function that removes it. */
  listen(listener: EventRingListener): () => void {
    if (this.closed) {
      listener.onClose();
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends every listener (the worker is shutting down); later appends throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of [...this.listeners]) listener.onClose();
    this.listeners.clear();
  }
}

/** Type guard for the out-of-range answer of {@link EventRing.after}. */
export function isOutOfRange(result: KvEvent[] | OutOfRange): result is OutOfRange {
  return !Array.isArray(result);
}
