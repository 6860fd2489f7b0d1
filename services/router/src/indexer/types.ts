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

/** Why a worker must be resynced from DumpKvState. */
export type ResyncReason = "gap" | "unknown-parent";

/** What applying a batch (or a dump) did; the service turns it into metrics and resyncs. */
export interface ApplyResult {
  /** Events applied (stored, removed, cleared), duplicates included. */
  applied: number;
  /** Stored events that added no block (everything was already indexed). */
  duplicate: number;
  /** Events with an id at or below the last applied one (e.g. replayed after a dump): skipped. */
  replayed: number;
  /** Events not applied because their batch's epoch is older than the worker's. */
  staleEpoch: number;
  /** Blocks added to and removed from the index. */
  blocksStored: number;
  blocksRemoved: number;
  /** Set when the worker needs a resync; the events from that one on were not applied. */
  resync?: ResyncReason;
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
