import type { SequenceHash } from "#common/kv-hash.js";
import { ActiveChains } from "./active-chains.js";

/** Requests silent this long are assumed lost and freed (ARCHITECTURE.md, Router decision). */
export const STALE_SEQUENCE_MS = 5 * 60_000;

/** A routing decision to account for. */
export interface SequenceAdmission {
  readonly requestId: string;
  readonly workerId: string;
  /** The request's full blocks (sequence hashes), in order. */
  readonly sequenceHashes: readonly SequenceHash[];
  /** ceil(isl / bs): full blocks plus the partial last block, which always counts as new. */
  readonly totalBlocks: number;
  /** Tokens the worker must prefill: isl − overlap × bs. */
  readonly prefillTokens: number;
}

/** One request in flight. */
interface ActiveRequest {
  readonly workerId: string;
  readonly hashes: readonly SequenceHash[];
  readonly partialBlocks: number;
  prefillTokens: number;
  touchedAt: number;
}

/** One worker's load as {@link ActiveSequences.loadOf} shows it. */
export interface WorkerLoadView {
  readonly distinctBlocks: number;
  readonly partialBlocks: number;
  readonly prefillTokens: number;
  readonly requests: number;
}

/** One worker's load as the router's own decisions make it. */
interface WorkerLoadState {
  /** Distinct active full blocks (shared prefixes count once). */
  distinctBlocks: number;
  partialBlocks: number;
  prefillTokens: number;
  /** Requests in flight on it. */
  requests: number;
}

/**
 * Load per worker from the router's own decisions (Dynamo's ActiveSequences): blocks are
 * added at routing and freed at stream end or cancel; prefill tokens are added at routing and
 * removed at the first token; requests silent for 5 minutes are swept.
 */
export class ActiveSequences {
  private readonly requests = new Map<string, ActiveRequest>();
  private readonly workers = new Map<string, WorkerLoadState>();
  /** Active blocks per worker as its requests' chains: a prefix shared by requests counts once. */
  private readonly chains = new ActiveChains();
  private lastSweepAt = Number.NEGATIVE_INFINITY;

  /** `now` is milliseconds from an injected clock. */
  constructor(
    private readonly now: () => number,
    private readonly staleAfterMs = STALE_SEQUENCE_MS,
  ) {}

  /** Account a routed request; a request id already active is freed first. */
  add(admission: SequenceAdmission): void {
    // Sweeping scans every request, so at routing it runs at most once a second.
    if (this.now() - this.lastSweepAt >= 1000) this.sweep();
    this.free(admission.requestId);
    const load = this.stateOf(admission.workerId, true)!;
    load.distinctBlocks += this.chains.add(admission.sequenceHashes, admission.workerId);
    const partialBlocks = Math.max(0, admission.totalBlocks - admission.sequenceHashes.length);
    load.partialBlocks += partialBlocks;
    load.prefillTokens += admission.prefillTokens;
    load.requests++;
    this.requests.set(admission.requestId, {
      workerId: admission.workerId,
      hashes: admission.sequenceHashes,
      partialBlocks,
      prefillTokens: admission.prefillTokens,
      touchedAt: this.now(),
    });
  }

  /** The first token came back: the request's prefill is done. */
  markFirstToken(requestId: string): void {
    const request = this.requests.get(requestId);
    if (request === undefined) return;
    const load = this.stateOf(request.workerId, false);
    if (load !== undefined) load.prefillTokens -= request.prefillTokens;
    request.prefillTokens = 0;
    request.touchedAt = this.now();
  }

  /** The request is still alive (e.g. a token arrived): postpones its sweep. */
  touch(requestId: string): void {
    const request = this.requests.get(requestId);
    if (request !== undefined) request.touchedAt = this.now();
  }

  /** Stream end or cancel: free everything the request held. False when it was not active. */
  free(requestId: string): boolean {
    const request = this.requests.get(requestId);
    if (request === undefined) return false;
    this.requests.delete(requestId);
    const load = this.stateOf(request.workerId, false);
    if (load === undefined) return true;
    load.distinctBlocks -= this.chains.remove(request.hashes, request.workerId);
    load.partialBlocks -= request.partialBlocks;
    load.prefillTokens -= request.prefillTokens;
    load.requests--;
    if (load.requests === 0) {
      this.workers.delete(request.workerId);
    }
    return true;
  }

  /** Free requests silent for longer than the stale limit; returns their ids. */
  sweep(): string[] {
    this.lastSweepAt = this.now();
    const cutoff = this.lastSweepAt - this.staleAfterMs;
    const stale = [...this.requests].filter(([, r]) => r.touchedAt <= cutoff).map(([id]) => id);
    for (const id of stale) this.free(id);
    return stale;
  }

  /** Distinct active full blocks plus one per request with a partial last block. */
  activeBlocks(workerId: string): number {
    const load = this.stateOf(workerId, false);
    return load === undefined ? 0 : load.distinctBlocks + load.partialBlocks;
  }

  /** Tokens routed to the worker whose first token has not come back yet. */
  activePrefillTokens(workerId: string): number {
    return this.stateOf(workerId, false)?.prefillTokens ?? 0;
  }

  /** Request blocks not already active on the worker (the partial block is always new). */
  newBlocksFor(workerId: string, sequenceHashes: readonly SequenceHash[], totalRequestBlocks: number): number {
    return totalRequestBlocks - this.chains.sharedOn(workerId, sequenceHashes);
  }

  /**
   * One worker's load in one lookup (a route reads it for every candidate; three lookups by
   * worker id each were a tenth of a decision's time): undefined when it has nothing in flight.
   * The object is live: read it now, do not keep it.
   */
  loadOf(workerId: string): WorkerLoadView | undefined {
    return this.workers.get(workerId);
  }

  /** Per worker, how many of these blocks are already active on it (absent: none), in one pass. */
  sharedBlocks(sequenceHashes: readonly SequenceHash[]): Map<string, number> {
    return this.chains.sharedPerWorker(sequenceHashes);
  }

  /** Requests in flight on one worker (the router's own count). */
  requestsInFlight(workerId: string): number {
    return this.stateOf(workerId, false)?.requests ?? 0;
  }

  /** Whether a request is counted. */
  has(requestId: string): boolean {
    return this.requests.has(requestId);
  }

  /** Requests in flight (all workers). */
  activeRequests(): number {
    return this.requests.size;
  }

  /** Forget a worker's load (it left discovery); its requests are freed. */
  removeWorker(workerId: string): void {
    for (const [id, r] of this.requests) if (r.workerId === workerId) this.free(id);
    this.workers.delete(workerId);
  }

  private stateOf(workerId: string, create: boolean): WorkerLoadState | undefined {
    let load = this.workers.get(workerId);
    if (load === undefined && create) {
      load = { distinctBlocks: 0, partialBlocks: 0, prefillTokens: 0, requests: 0 };
      this.workers.set(workerId, load);
    }
    return load;
  }
}
