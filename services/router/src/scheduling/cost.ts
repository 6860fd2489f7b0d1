/** What the router knows about one candidate worker when it decides. */
export interface WorkerCandidate {
  readonly workerId: string;
  /** Leading request blocks the index says it holds. */
  readonly overlapBlocks: number;
  /** Prefill tokens of requests routed to it that have not produced a first token. */
  readonly activePrefillTokens: number;
  /** Blocks active on it from the router's own decisions. */
  readonly activeBlocks: number;
  /** Request blocks not already active on it (ActiveSequences.newBlocksFor). */
  readonly newBlocks: number;
  /** Blocks indexed for it: breaks ties toward the emptier cache. */
  readonly indexedBlocks: number;
  /** Over --busy-threshold by its own load report: skipped. */
  readonly busy: boolean;
  /** Requests the router sent there that have not ended (its own count). */
  readonly requestsInFlight: number;
  /** Requests waiting in its scheduler, from its last load report (0 before one). */
  readonly waiting: number;
  /** blocks_active ÷ blocks_total from its last load report (0 before one). */
  readonly kvUsage: number;
  /** blocks_total − blocks_active from its last load report (Infinity before one: nothing known to be short). */
  readonly freeBlocks: number;
}

/** The request as the cost function sees it. */
export interface CostRequest {
  /** Input sequence length in tokens. */
  readonly isl: number;
  readonly blockSize: number;
  readonly overlapWeight: number;
}

/** One worker's cost terms, as Router.Route reports them. */
export interface WorkerCostTerms {
  readonly workerId: string;
  readonly overlapBlocks: number;
  /** Its active prefill tokens plus this request's uncached tokens. */
  readonly prefillTokens: number;
  /** Its active blocks plus this request's new blocks. */
  readonly decodeBlocks: number;
  readonly cost: number;
  readonly busy: boolean;
}

/**
 * cost(w) = overlap_weight × (active_prefill_tokens(w) + max(0, isl − overlap(w)×bs)) / bs
 *         + (active_blocks(w) + request blocks not already active on w)   (ARCHITECTURE.md).
 * `score`, when given, is the policy's score and stands as `cost` instead.
 */
export function workerCost(candidate: WorkerCandidate, request: CostRequest, score?: number): WorkerCostTerms {
  const uncached = Math.max(0, request.isl - candidate.overlapBlocks * request.blockSize);
  const prefillTokens = candidate.activePrefillTokens + uncached;
  const decodeBlocks = candidate.activeBlocks + candidate.newBlocks;
  // A policy's own score replaces the KV cost (Route shows it as `cost`); built once, not copied.
  const cost = score ?? (request.overlapWeight * prefillTokens) / request.blockSize + decodeBlocks;
  return {
    workerId: candidate.workerId,
    overlapBlocks: candidate.overlapBlocks,
    prefillTokens,
    decodeBlocks,
    cost,
    busy: candidate.busy,
  };
}

/** A reported load is busy when blocks_active / blocks_total exceeds the threshold (if set). */
export function isBusy(
  load: { readonly blocksActive: number; readonly blocksTotal: number } | undefined,
  busyThreshold: number | undefined,
): boolean {
  if (load === undefined || busyThreshold === undefined || load.blocksTotal <= 0) return false;
  return load.blocksActive / load.blocksTotal > busyThreshold;
}
