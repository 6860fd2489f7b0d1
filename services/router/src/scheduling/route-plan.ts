import { hashBlocks, requestBlockCount } from "#common/kv-hash.js";
import type { BlockHashes, SequenceHash } from "#common/kv-hash.js";
import type { OverlapIndex, WorkerId } from "../indexer/types.js";
import type { ActiveSequences, SequenceAdmission } from "../sequences/active-sequences.js";
import { isBusy } from "./cost.js";
import type { WorkerCandidate } from "./cost.js";
import type { RouteDecision } from "./selector.js";

/** A request reduced to what routing needs. */
export interface RouteRequestBlocks {
  /** Input sequence length in tokens. */
  readonly isl: number;
  readonly blockSize: number;
  /** Hashes of the full blocks. */
  readonly hashes: BlockHashes;
  /** ceil(isl / bs): the partial last block counts. */
  readonly requestBlocks: number;
}

/** A routable worker and its last reported load, if any. */
export interface RoutableWorker {
  readonly workerId: WorkerId;
  readonly load?: { readonly blocksActive: number; readonly blocksTotal: number; readonly waiting?: number };
}

/** Hash a prompt for routing (the same hashing as the worker's, from common). */
export function routeRequestBlocks(tokenIds: ArrayLike<number>, blockSize: number): RouteRequestBlocks {
  return {
    isl: tokenIds.length,
    blockSize,
    hashes: hashBlocks(tokenIds, blockSize),
    requestBlocks: requestBlockCount(tokenIds.length, blockSize),
  };
}

/**
 * Each routable worker's overlap (one index walk) and load, ready for a selector. Runs for
 * every worker on every decision: one lookup per worker into the load accounting, no
 * per-call maps beyond the index's.
 */
export function buildCandidates(
  workers: readonly RoutableWorker[],
  request: RouteRequestBlocks,
  index: OverlapIndex,
  sequences: ActiveSequences,
  busyThreshold: number | undefined,
): WorkerCandidate[] {
  const overlaps = index.findMatches(request.hashes.local);
  const candidates = new Array<WorkerCandidate>(workers.length);
  for (let i = 0; i < workers.length; i++) {
    const w = workers[i];
    const active = sequences.loadOf(w.workerId);
    const total = w.load?.blocksTotal ?? 0;
    const known = w.load !== undefined && total > 0;
    candidates[i] = {
      workerId: w.workerId,
      overlapBlocks: overlaps.get(w.workerId) ?? 0,
      activePrefillTokens: active?.prefillTokens ?? 0,
      activeBlocks: active === undefined ? 0 : active.distinctBlocks + active.partialBlocks,
      newBlocks: sequences.newBlocksFor(w.workerId, request.hashes.sequence, request.requestBlocks),
      indexedBlocks: index.blockCount(w.workerId),
      busy: isBusy(w.load, busyThreshold),
      requestsInFlight: active?.requests ?? 0,
      waiting: w.load?.waiting ?? 0,
      kvUsage: known ? w.load.blocksActive / total : 0,
      freeBlocks: known ? Math.max(0, total - w.load.blocksActive) : Number.POSITIVE_INFINITY,
    };
  }
  return candidates;
}

/**
 * What a decision adds to its worker's load: the request's blocks and its uncached prefill
 * tokens (isl − overlap × bs). The router's own accounting and the reservations it shares with
 * peer replicas are both this record.
 */
export function admissionOf(requestId: string, request: RouteRequestBlocks, decision: RouteDecision): SequenceAdmission & { readonly sequenceHashes: SequenceHash[] } {
  const overlap = decision.workers.find((w) => w.workerId === decision.workerId)?.overlapBlocks ?? 0;
  return {
    requestId,
    workerId: decision.workerId,
    sequenceHashes: request.hashes.sequence,
    totalBlocks: request.requestBlocks,
    prefillTokens: Math.max(0, request.isl - overlap * request.blockSize),
  };
}

/**
 * Account a decision that is being sent: the chosen worker's load grows by the request's
 * blocks and uncached prefill tokens. Returns those prefill tokens.
 */
export function admitDecision(
  sequences: ActiveSequences,
  requestId: string,
  request: RouteRequestBlocks,
  decision: RouteDecision,
): number {
  const admission = admissionOf(requestId, request, decision);
  sequences.add(admission);
  return admission.prefillTokens;
}
