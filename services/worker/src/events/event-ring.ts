import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";
import type { KvEventData } from "../engine/kv-events.js";

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

/**
 * A worker's KV events in id order: the one place ids are assigned (1, 2, 3... per epoch,
 * gap-free), a bounded window of the newest events for StreamKvEvents resumes, and live
 * fan-out to streams. Appends notify listeners synchronously, so a reader that takes
 * `after()` and registers a listener in the same tick sees every event exactly once.
 */
export class EventRing {
  private readonly slots: (KvEvent | undefined)[];
  private last = 0n;
  private size = 0;
  private readonly listeners = new Set<EventRingListener>();
  private closed = false;

  /** @param capacity the most events retained (at least 1). */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event ring capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<KvEvent | undefined>(capacity);
  }

  /** The id of the last event appended; 0 before the first. */
  get lastEventId(): bigint {
    return this.last;
  }

  /** The oldest retained id; lastEventId + 1 when nothing is retained. */
  get oldestEventId(): bigint {
    return this.last - BigInt(this.size) + 1n;
  }

  /**
   * Assigns the next ids to `changes`, retains them (dropping the oldest beyond capacity) and
   * hands them to every listener as one batch. Returns the numbered events.
   */
  append(changes: readonly KvEventData[]): KvEvent[] {
    if (this.closed) throw new Error("event ring is closed");
    const events = changes.map((data) => {
      this.last += 1n;
      const event: KvEvent = { eventId: this.last, data };
      this.slots[Number(this.last % BigInt(this.capacity))] = event;
      return event;
    });
    this.size = Math.min(this.capacity, this.size + events.length);
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
    const events: KvEvent[] = [];
    for (let id = from + 1n; id <= this.last; id++) events.push(this.slots[Number(id % BigInt(this.capacity))]!);
    return events;
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
