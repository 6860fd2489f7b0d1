/**
 * The order rules of a worker's KV event stream (ARCHITECTURE.md, KV events: semantics), in
 * one place: pure verdicts the KvEventFeed acts on. Ids increase by one per event within an
 * epoch; a newer epoch is a restarted worker (resync), an older one is stale (dropped); an id
 * at or below the last applied one is a replay (skipped); any other jump is a gap (resync).
 */
import type { KvEventData, StreamPosition } from "../indexer/types.js";

/** What to do with a batch from a worker whose stream stands at a position. */
export type BatchVerdict =
  | { readonly kind: "stale-epoch" }
  | { readonly kind: "new-epoch" }
  | {
      readonly kind: "in-epoch";
      /** Events already applied (ids at or below the position): skipped. */
      readonly replayed: number;
      /** The events to apply, in order, each one id after the one before. */
      readonly next: readonly KvEventData[];
      /** An id jumped past the next expected one: what follows `next` is lost, resync. */
      readonly gap: boolean;
    };

/** What a load report (epoch, last emitted id) says about a worker's stream. */
export type LoadVerdict = "stale-epoch" | "new-epoch" | "gap" | "in-order";

/**
 * Judges a batch of `epoch` against the worker's `position` (undefined: never positioned,
 * which only a dump can settle, like a new epoch).
 */
export function judgeBatch(position: StreamPosition | undefined, epoch: bigint, events: readonly KvEventData[]): BatchVerdict {
  if (position === undefined || epoch > position.epoch) return { kind: "new-epoch" };
  if (epoch < position.epoch) return { kind: "stale-epoch" };
  let last = position.lastEventId;
  let replayed = 0;
  const next: KvEventData[] = [];
  for (const event of events) {
    if (event.eventId <= last) {
      replayed++;
      continue;
    }
    if (event.eventId !== last + 1n) return { kind: "in-epoch", replayed, next, gap: true };
    next.push(event);
    last = event.eventId;
  }
  return { kind: "in-epoch", replayed, next, gap: false };
}

/**
 * Judges a load report: its last_event_id beyond the position means events were lost even if
 * none follows; a newer epoch is a restarted worker; an older one says nothing.
 */
export function judgeLoad(position: StreamPosition | undefined, epoch: bigint, lastEventId: bigint): LoadVerdict {
  if (position === undefined || epoch > position.epoch) return "new-epoch";
  if (epoch < position.epoch) return "stale-epoch";
  return lastEventId > position.lastEventId ? "gap" : "in-order";
}
