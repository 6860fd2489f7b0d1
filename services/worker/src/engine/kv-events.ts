/**
 * The engine's KV change log: stored / removed / cleared changes, in the generated events.proto
 * shapes, handed to listeners synchronously and in order as they happen. It does not number
 * them: event ids have one owner, the worker's EventRing (events/event-ring.ts), which numbers
 * what both transports (StreamKvEvents and NATS) carry.
 */
import type { KvEvent, StoredBlock } from "#contracts/gen/kvmesh/v1/events.js";
import type { SequenceHash } from "#common/kv-hash.js";

/** The change an event carries, without its id (the ring assigns ids). */
export type KvEventData = NonNullable<KvEvent["data"]>;

/** Receives every change right after it was recorded. */
export type KvEventListener = (change: KvEventData) => void;

/** Records KV changes and hands them on, unnumbered. */
export class KvEventRecorder {
  private readonly listeners: KvEventListener[] = [];

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

  private emit(change: KvEventData): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
