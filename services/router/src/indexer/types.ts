import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";

/**
 * Plain mirrors of the events.proto messages. They are structurally compatible with the
 * ts-proto output, so the service passes generated messages straight in, and the indexer
 * imports neither gRPC nor NATS.
 */

/** A worker's id as it registers in discovery. */
export type WorkerId = string;

/** One stored block: its chained and its own hash. */
export interface StoredBlockData {
  readonly sequenceHash: bigint;
  readonly localHash: bigint;
}

/** Consecutive blocks of one sequence became cached (KvStored). */
export interface KvStoredData {
  readonly parentSequenceHash?: bigint | undefined;
  readonly blocks: readonly StoredBlockData[];
}

/** One change to a worker's cache (KvEvent); `data` absent is ignored. */
export interface KvEventData {
  readonly eventId: bigint;
  readonly data?:
    | { readonly $case: "stored"; readonly stored: KvStoredData }
    | { readonly $case: "removed"; readonly removed: { readonly sequenceHashes: readonly bigint[] } }
    | { readonly $case: "cleared"; readonly cleared: object }
    | undefined;
}

/** Events of one worker, in order (KvEventBatch). */
export interface KvEventBatchData {
  readonly workerId: WorkerId;
  readonly epoch: bigint;
  readonly events: readonly KvEventData[];
}

/** A worker's full cache as stored events (DumpKvStateResponse). */
export interface KvDumpData {
  readonly epoch: bigint;
  readonly lastEventId: bigint;
  readonly events: readonly KvEventData[];
}

/** Where a worker's event stream stands: its epoch and the last event id applied. */
export interface StreamPosition {
  readonly epoch: bigint;
  readonly lastEventId: bigint;
}

/** What applying events (or a dump) did to the index; the feed turns it into metrics and resyncs. */
export interface IndexResult {
  /** Events applied (stored, removed, cleared), duplicates included. */
  applied: number;
  /** Stored events that added no block (everything was already indexed). */
  duplicate: number;
  /** Blocks added to and removed from the index. */
  blocksStored: number;
  blocksRemoved: number;
  /** An event named a parent the index does not hold: it and the events after it were not applied. */
  unknownParent: boolean;
}

/** The indexed state of one worker (DumpIndex). */
export interface WorkerIndexDump {
  readonly workerId: WorkerId;
  readonly epoch: bigint;
  readonly lastEventId: bigint;
  /** Sorted ascending. */
  readonly sequenceHashes: SequenceHash[];
}

/** Leading request blocks each worker holds; absent workers hold none. */
export type OverlapScores = Map<WorkerId, number>;

/** What the selector needs from an index, exact (KvIndexer) or approximate (ApproxIndexer). */
export interface OverlapIndex {
  /** Contiguous leading blocks of `localHashes` held, per worker, in one walk. */
  findMatches(localHashes: readonly LocalBlockHash[]): OverlapScores;
  /** Blocks indexed for a worker (0 when unknown). */
  blockCount(workerId: WorkerId): number;
  /** Forget a worker and all its blocks. */
  removeWorker(workerId: WorkerId): void;
}
