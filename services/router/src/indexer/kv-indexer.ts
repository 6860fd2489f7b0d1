import type { LocalBlockHash } from "#common/kv-hash.js";
import { RadixTree } from "./radix-tree.js";
import type {
  ApplyResult,
  KvDumpData,
  KvEventBatchData,
  KvEventData,
  OverlapIndex,
  OverlapScores,
  ResyncReason,
  WorkerId,
  WorkerIndexDump,
} from "./types.js";

/** Where a worker's event stream stands. */
interface WorkerStream {
  epoch: bigint;
  lastEventId: bigint;
}

/** A fresh, empty ApplyResult. */
export function emptyApplyResult(): ApplyResult {
  return { applied: 0, duplicate: 0, replayed: 0, staleEpoch: 0, blocksStored: 0, blocksRemoved: 0 };
}

/**
 * The exact KV index of one model, fed by worker KV events (ARCHITECTURE.md, KV events:
 * semantics). It never guesses: on a gap or an unknown parent it stops applying that worker's
 * events and says so, and the caller rebuilds the worker with `resetWorker` from DumpKvState.
 */
export class KvIndexer implements OverlapIndex {
  private readonly tree = new RadixTree();
  private readonly streams = new Map<WorkerId, WorkerStream>();

  /** Apply one worker's batch in order. Stops at the first event that needs a resync. */
  applyBatch(batch: KvEventBatchData): ApplyResult {
    const result = emptyApplyResult();
    const stream = this.streamFor(batch.workerId, batch.epoch, result);
    if (stream === undefined) {
      result.staleEpoch = batch.events.length;
      return result;
    }
    for (const event of batch.events) {
      if (event.eventId <= stream.lastEventId) {
        result.replayed++;
        continue;
      }
      if (event.eventId !== stream.lastEventId + 1n) {
        result.resync = "gap";
        return result;
      }
      if (!this.applyEvent(batch.workerId, event, result)) {
        result.resync = "unknown-parent";
        return result;
      }
      stream.lastEventId = event.eventId;
    }
    return result;
  }

  /**
   * A load report names the last event the worker emitted: later than what was applied means
   * events were lost even if none follows. Returns the resync reason, if any. A newer epoch
   * drops the old blocks first (the worker restarted).
   */
  observeLoad(workerId: WorkerId, epoch: bigint, lastEventId: bigint): ResyncReason | undefined {
    const stream = this.streamFor(workerId, epoch, emptyApplyResult());
    if (stream === undefined) return undefined;
    return lastEventId > stream.lastEventId ? "gap" : undefined;
  }

  /** Rebuild a worker from its DumpKvState (event ids of the dump are ignored). */
  resetWorker(workerId: WorkerId, dump: KvDumpData): ApplyResult {
    const result = emptyApplyResult();
    result.blocksRemoved = this.tree.clearWorker(workerId);
    this.streams.set(workerId, { epoch: dump.epoch, lastEventId: dump.lastEventId });
    for (const event of dump.events) {
      if (!this.applyEvent(workerId, event, result)) {
        result.resync = "unknown-parent";
        break;
      }
    }
    return result;
  }

  /** Forget a worker (gone from discovery): all its blocks go. */
  removeWorker(workerId: WorkerId): void {
    this.tree.clearWorker(workerId);
    this.streams.delete(workerId);
  }

  /** Contiguous leading blocks of the request held, per worker. */
  findMatches(localHashes: readonly LocalBlockHash[]): OverlapScores {
    return this.tree.findMatches(localHashes);
  }

  /** Blocks indexed for a worker. */
  blockCount(workerId: WorkerId): number {
    return this.tree.blockCount(workerId);
  }

  /** Every known worker's blocks, epoch and last event id, sorted by worker id. */
  dump(): WorkerIndexDump[] {
    return [...this.streams.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([workerId, s]) => ({
        workerId,
        epoch: s.epoch,
        lastEventId: s.lastEventId,
        sequenceHashes: this.tree.sequenceHashes(workerId),
      }));
  }

  /** Where a worker's stream stands (epoch and last applied id); undefined when unknown. */
  streamOf(workerId: WorkerId): { readonly epoch: bigint; readonly lastEventId: bigint } | undefined {
    const stream = this.streams.get(workerId);
    return stream === undefined ? undefined : { epoch: stream.epoch, lastEventId: stream.lastEventId };
  }

  /** Nodes in the tree; for tests. */
  nodeCount(): number {
    return this.tree.nodeCount();
  }

  /** The worker's stream state for `epoch`, or undefined when the epoch is older (stale). */
  private streamFor(workerId: WorkerId, epoch: bigint, result: ApplyResult): WorkerStream | undefined {
    const stream = this.streams.get(workerId);
    if (stream !== undefined && epoch < stream.epoch) return undefined;
    if (stream !== undefined && epoch === stream.epoch) return stream;
    // First sight or a newer epoch: whatever the old process cached is gone.
    result.blocksRemoved += this.tree.clearWorker(workerId);
    const fresh = { epoch, lastEventId: 0n };
    this.streams.set(workerId, fresh);
    return fresh;
  }

  /** Apply one event; false on an unknown parent (nothing applied). */
  private applyEvent(workerId: WorkerId, event: KvEventData, result: ApplyResult): boolean {
    const data = event.data;
    if (data === undefined) return true;
    switch (data.$case) {
      case "stored": {
        const outcome = this.tree.store(workerId, data.stored.parentSequenceHash, data.stored.blocks);
        if (outcome.unknownParent) return false;
        result.blocksStored += outcome.added;
        if (outcome.added === 0) result.duplicate++;
        break;
      }
      case "removed":
        for (const hash of data.removed.sequenceHashes) if (this.tree.remove(workerId, hash)) result.blocksRemoved++;
        break;
      case "cleared":
        result.blocksRemoved += this.tree.clearWorker(workerId);
        break;
    }
    result.applied++;
    return true;
  }
}
