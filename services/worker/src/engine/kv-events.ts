/**
 * The worker's KV event log: stored / removed / cleared events with gap-free ids from 1 for this
 * process (one epoch), in the generated events.proto shapes, handed to listeners synchronously
 * and in order as they happen.
 */
import type { KvEvent, StoredBlock } from "#contracts/gen/kvmesh/v1/events.js";
import type { SequenceHash } from "#common/kv-hash.js";

/** Receives every event right after it was recorded. */
export type KvEventListener = (event: KvEvent) => void;

/** Records and numbers KV events. */
export class KvEventRecorder {
  private lastId = 0n;
  private readonly listeners: KvEventListener[] = [];

  /** Id of the last event recorded (0n when none). */
  get lastEventId(): bigint {
    return this.lastId;
  }

  /** Adds a listener; the returned function removes it. */
  subscribe(listener: KvEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Consecutive blocks of one sequence became cached; `parent` is the hash of the block before. */
  stored(parent: SequenceHash | undefined, blocks: StoredBlock[]): void {
    if (blocks.length === 0) return;
    const stored = parent === undefined ? { blocks } : { parentSequenceHash: parent as bigint, blocks };
    this.emit({ $case: "stored", stored });
  }

  /** Blocks left the cache (their last copy was evicted). */
  removed(hashes: SequenceHash[]): void {
    if (hashes.length > 0) this.emit({ $case: "removed", removed: { sequenceHashes: hashes } });
  }

  /** The whole cache was dropped. */
  cleared(): void {
    this.emit({ $case: "cleared", cleared: {} });
  }

  private emit(data: NonNullable<KvEvent["data"]>): void {
    this.lastId += 1n;
    const event: KvEvent = { eventId: this.lastId, data };
    for (const listener of [...this.listeners]) listener(event);
  }
}
