import type { LocalBlockHash } from "#common/kv-hash.js";
import { RadixTree } from "./radix-tree.js";
import type {
  IndexResult,
  KvDumpData,
  KvEventData,
  OverlapIndex,
  OverlapScores,
  StreamPosition,
  WorkerId,
  WorkerIndexDump,
} from "./types.js";

/** A fresh, empty IndexResult. */
export function emptyIndexResult(): IndexResult {
  return { applied: 0, duplicate: 0, blocksStored: 0, blocksRemoved: 0, unknownParent: false };
}

/**
 * The exact KV index of one model: which blocks each worker holds. It applies the events it is
 * given, in the order given, and never judges ids or epochs: the KvEventFeed owns order and
 * resync (ARCHITECTURE.md, KV events: semantics) and records here where each worker's stream
 * stands, for DumpIndex. An event below a parent it does not know is not applied.
 */
export class KvIndexer implements OverlapIndex {
  private readonly tree = new RadixTree();
  private readonly positions = new Map<WorkerId, StreamPosition>();

  /** Apply one worker's events in order; stops at the first with an unknown parent. */
  applyEvents(workerId: WorkerId, events: readonly KvEventData[]): IndexResult {
    const result = emptyIndexResult();
    for (const event of events) {
      if (!this.applyEvent(workerId, event, result)) {
        result.unknownParent = true;
        break;
      }
    }
    return result;
  }

  /** Rebuild a worker from its DumpKvState: its blocks only, at the dump's position. */
  resetWorker(workerId: WorkerId, dump: KvDumpData): IndexResult {
    const removed = this.clearWorker(workerId);
    this.positions.set(workerId, { epoch: dump.epoch, lastEventId: dump.lastEventId });
    const result = this.applyEvents(workerId, dump.events);
    result.blocksRemoved += removed;
    return result;
  }

  /** Drop every block of a worker (e.g. a new epoch); returns how many went. */
  clearWorker(workerId: WorkerId): number {
    return this.tree.clearWorker(workerId);
  }

  /** Record where the worker's stream stands (the feed applied up to `lastEventId` of `epoch`). */
  setPosition(workerId: WorkerId, position: StreamPosition): void {
    this.positions.set(workerId, { epoch: position.epoch, lastEventId: position.lastEventId });
  }

  /** Forget a worker (gone from discovery): all its blocks go. */
  removeWorker(workerId: WorkerId): void {
    this.tree.clearWorker(workerId);
    this.positions.delete(workerId);
  }

  /** Contiguous leading blocks of the request held, per worker. */
  findMatches(localHashes: readonly LocalBlockHash[]): OverlapScores {
    return this.tree.findMatches(localHashes);
  }

  /** Blocks indexed for a worker. */
  blockCount(workerId: WorkerId): number {
    return this.tree.blockCount(workerId);
  }

  /**
   * Every worker with a position or blocks: its blocks, epoch and last event id (0 when the
   * feed recorded none), sorted by worker id.
   */
  dump(): WorkerIndexDump[] {
    const workers = new Set([...this.positions.keys(), ...this.tree.workers()]);
    return [...workers]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((workerId) => {
        const position = this.positions.get(workerId);
        return { workerId, epoch: position?.epoch ?? 0n, lastEventId: position?.lastEventId ?? 0n, sequenceHashes: this.tree.sequenceHashes(workerId) };
      });
  }

  /** Where a worker's stream stands, as the feed recorded it; undefined when never recorded. */
  streamOf(workerId: WorkerId): StreamPosition | undefined {
    const position = this.positions.get(workerId);
    return position === undefined ? undefined : { ...position };
  }

  /** Nodes in the tree; for tests. */
  nodeCount(): number {
    return this.tree.nodeCount();
  }

  /** Apply one event; false on an unknown parent (nothing applied). */
  private applyEvent(workerId: WorkerId, event: KvEventData, result: IndexResult): boolean {
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
