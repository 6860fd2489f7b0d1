import { KvIndexer } from "../indexer/kv-indexer.js";
import type { KvDumpData, KvEventBatchData, WorkerId } from "../indexer/types.js";
import { judgeBatch, judgeLoad } from "./event-order.js";

/** Why a worker is being resynced from DumpKvState. */
export type ResyncCause = "first-sight" | "gap" | "unknown-parent" | "reconnect" | "new-epoch";

/** What the feed reports, for metrics and logs. */
export interface FeedObserver {
  applied(workerId: WorkerId, events: number): void;
  rejected(workerId: WorkerId, events: number, reason: "stale-epoch" | "unknown-worker" | "replayed"): void;
  resync(workerId: WorkerId, cause: ResyncCause): void;
}

/** A batch as it arrives (KvEventBatch), with its model. */
export interface ModelBatch extends KvEventBatchData {
  readonly model: string;
}

/** How the feed asks for a DumpKvState; the answer comes back through `applyDump`. */
export type DumpRequester = (workerId: WorkerId, cause: ResyncCause) => void;

/** Batches kept while a dump is in flight; beyond this the oldest go (the replay then finds a gap). */
const MAX_BUFFERED_BATCHES = 1024;

interface Tracked {
  readonly model: string;
  /** A dump was asked for and has not been applied: batches wait in `buffer`. */
  resyncing: boolean;
  buffer: ModelBatch[];
}

/**
 * Applies worker events to one KvIndexer per model and decides when a worker must be resynced
 * (ARCHITECTURE.md, KV events: semantics): on first sight, on an event-id gap (also one that a
 * load report's last_event_id reveals), on an unknown parent and on every reconnect of the
 * transport. While a dump is in flight the worker's batches are held and replayed on top of
 * it, so nothing that happened after the dump was taken is lost. The one owner of order and
 * resync, transport-free: the NATS and gRPC transports only deliver, one DumpFetcher answers.
 */
export class KvEventFeed {
  private readonly indexers = new Map<string, KvIndexer>();
  private readonly tracked = new Map<WorkerId, Tracked>();

  constructor(
    private readonly requestDump: DumpRequester,
    private readonly observer: FeedObserver,
  ) {}

  /** The model's index (created empty on first use). */
  indexer(model: string): KvIndexer {
    let indexer = this.indexers.get(model);
    if (indexer === undefined) this.indexers.set(model, (indexer = new KvIndexer()));
    return indexer;
  }

  /** Whether a model has an index yet. */
  hasModel(model: string): boolean {
    return this.indexers.has(model);
  }

  /** A routable worker to index: it is resynced at once (first sight). */
  track(workerId: WorkerId, model: string): void {
    if (this.tracked.has(workerId)) return;
    this.tracked.set(workerId, { model, resyncing: false, buffer: [] });
    this.indexer(model);
    this.startResync(workerId, "first-sight");
  }

  /** The worker left discovery: all its blocks go. */
  untrack(workerId: WorkerId): void {
    const entry = this.tracked.get(workerId);
    if (entry === undefined) return;
    this.tracked.delete(workerId);
    this.indexers.get(entry.model)?.removeWorker(workerId);
  }

  /**
   * Where a transport that can resume (StreamKvEvents) should continue for the worker: after
   * the last event applied; undefined while a dump is awaited (open after it is applied; a
   * stream already open keeps delivering, and what arrives is held and replayed on top of it).
   */
  resumePoint(workerId: WorkerId): bigint | undefined {
    const entry = this.tracked.get(workerId);
    if (entry === undefined || entry.resyncing) return undefined;
    return this.indexer(entry.model).streamOf(workerId)?.lastEventId;
  }

  /** Whether the worker is indexed. */
  isTracked(workerId: WorkerId): boolean {
    return this.tracked.has(workerId);
  }

  /** One batch from the transport. */
  applyBatch(batch: ModelBatch): void {
    const entry = this.tracked.get(batch.workerId);
    if (entry === undefined) {
      this.observer.rejected(batch.workerId, batch.events.length, "unknown-worker");
      return;
    }
    if (entry.resyncing) {
      entry.buffer.push(batch);
      if (entry.buffer.length > MAX_BUFFERED_BATCHES) entry.buffer.shift();
      return;
    }
    this.applyNow(batch.workerId, entry, batch);
  }

  /** A load report: its last_event_id (or a newer epoch) may reveal lost events. */
  observeLoad(workerId: WorkerId, epoch: bigint, lastEventId: bigint): void {
    const entry = this.tracked.get(workerId);
    if (entry === undefined || entry.resyncing) return;
    const verdict = judgeLoad(this.indexer(entry.model).streamOf(workerId), epoch, lastEventId);
    if (verdict === "new-epoch" || verdict === "gap") this.startResync(workerId, verdict);
  }

  /** The transport reconnected: what was published meanwhile is lost, so every worker (of `model`, when given) resyncs. */
  resyncAll(model?: string): void {
    for (const [workerId, entry] of [...this.tracked]) if (model === undefined || entry.model === model) this.startResync(workerId, "reconnect");
  }

  /** Ask for a resync of one worker (e.g. the adapter saw something it cannot apply). */
  resync(workerId: WorkerId, cause: ResyncCause): void {
    if (this.tracked.has(workerId)) this.startResync(workerId, cause);
  }

  /** The answer to a dump request: rebuild the worker, then replay what arrived meanwhile. */
  applyDump(workerId: WorkerId, dump: KvDumpData): void {
    const entry = this.tracked.get(workerId);
    if (entry === undefined) return;
    const indexer = this.indexer(entry.model);
    const result = indexer.resetWorker(workerId, dump);
    entry.resyncing = false;
    this.observer.applied(workerId, result.applied);
    const held = entry.buffer;
    entry.buffer = [];
    for (const batch of held) {
      if (entry.resyncing) entry.buffer.push(batch);
      else if (batch.epoch >= dump.epoch) this.applyNow(workerId, entry, batch);
      else this.observer.rejected(workerId, batch.events.length, "stale-epoch");
    }
  }

  private applyNow(workerId: WorkerId, entry: Tracked, batch: ModelBatch): void {
    const indexer = this.indexer(entry.model);
    const verdict = judgeBatch(indexer.streamOf(workerId), batch.epoch, batch.events);
    if (verdict.kind === "stale-epoch") return this.observer.rejected(workerId, batch.events.length, "stale-epoch");
    // A newer epoch is a restarted worker: a dump, not event 1 on an empty slate, is the truth.
    if (verdict.kind === "new-epoch") {
      entry.buffer.push(batch);
      return this.startResync(workerId, "new-epoch");
    }
    if (verdict.replayed > 0) this.observer.rejected(workerId, verdict.replayed, "replayed");
    const result = indexer.applyEvents(workerId, verdict.next);
    if (result.applied > 0) {
      this.observer.applied(workerId, result.applied);
      indexer.setPosition(workerId, { epoch: batch.epoch, lastEventId: verdict.next[result.applied - 1].eventId });
    }
    if (result.unknownParent) this.startResync(workerId, "unknown-parent");
    else if (verdict.gap) this.startResync(workerId, "gap");
  }

  private startResync(workerId: WorkerId, cause: ResyncCause): void {
    const entry = this.tracked.get(workerId)!;
    // One dump in flight at a time covers every cause that arrives before it lands.
    if (entry.resyncing && cause !== "reconnect") return;
    entry.resyncing = true;
    this.observer.resync(workerId, cause);
    this.requestDump(workerId, cause);
  }
}
