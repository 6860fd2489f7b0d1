/**
 * Continuous batching (vLLM v1's Scheduler): `schedule()` picks the rows of the next step and
 * how many tokens each feeds, `updateFromOutput()` applies the step's tokens, caches full blocks
 * and finishes requests. Running requests go first (in arrival order), then waiting ones (FCFS)
 * while the token budget, the sequence limit and the free blocks allow. When blocks run out, the
 * most recently arrived running request is preempted by recompute.
 */
import type { FinishReason, TokenLogprob } from "#contracts/gen/kvmesh/v1/common.js";
import { OverloadedError } from "#common/errors.js";
import type { KvCacheManager } from "./kv-cache-manager.js";
import type { EngineRequest } from "./request.js";
import { checkStop } from "./stop-check.js";

/** Scheduler limits. */
export interface SchedulerConfig {
  /** Most sequences running at once (--max-num-seqs). */
  readonly maxNumSeqs: number;
  /** Token budget of one step (--max-batched-tokens); long prefills are chunked to it. */
  readonly maxBatchedTokens: number;
  /** Most requests waiting for admission (--max-waiting); beyond it addRequest throws OverloadedError. */
  readonly maxWaiting: number;
  /** Longest sequence (prompt + output) the engine runs: min(context length, pool capacity). */
  readonly maxModelLen: number;
  readonly eosTokenIds: readonly number[];
}

/** One row of a step. */
export interface ScheduledRow {
  readonly request: EngineRequest;
  /** Tokens fed this step, starting at request.numComputedTokens. */
  readonly numNewTokens: number;
  /** Whether the step ends the sequence's known tokens, so its logits give the next token. */
  readonly needsLogits: boolean;
  /** Prompt (or recompute) tokens rather than one decode token. */
  readonly isPrefill: boolean;
}

/** What one step runs. */
export interface SchedulerOutput {
  readonly rows: ScheduledRow[];
  /** Requests preempted while scheduling this step. */
  readonly preempted: EngineRequest[];
}

/** The token a row produced (null for a mid-prompt chunk). */
export interface SampledRow {
  readonly tokenId: number;
  readonly logprob: TokenLogprob | undefined;
}

/** What a step changed for one request. */
export interface RequestUpdate {
  readonly request: EngineRequest;
  /** Output index of tokenId. */
  readonly index: number;
  readonly tokenId: number;
  readonly logprob: TokenLogprob | undefined;
  readonly finishReason: FinishReason | undefined;
}

/** The scheduler's queues. */
export class Scheduler {
  /** Waiting requests, admission order (preempted ones back at the front). */
  readonly waiting: EngineRequest[] = [];
  /** Running requests, by arrival. */
  readonly running: EngineRequest[] = [];
  /** Requests preempted so far. */
  numPreemptions = 0;

  constructor(private readonly config: SchedulerConfig, private readonly kv: KvCacheManager) {}

  /** Queues a new request; throws OverloadedError when the waiting queue is full. */
  add(request: EngineRequest): void {
    if (this.waiting.length >= this.config.maxWaiting) {
      throw new OverloadedError(`worker queue is full (${this.config.maxWaiting} waiting)`);
    }
    request.status = "WAITING";
    this.waiting.push(request);
  }

  /** Whether anything is left to run. */
  get hasWork(): boolean {
    return this.running.length > 0 || this.waiting.length > 0;
  }

  /** Picks the next step's rows. */
  schedule(): SchedulerOutput {
    let budget = this.config.maxBatchedTokens;
    const rows: ScheduledRow[] = [];
    const preempted: EngineRequest[] = [];
    for (let i = 0; i < this.running.length && budget > 0; i++) {
      const request = this.running[i];
      const numNew = Math.min(request.numTokens - request.numComputedTokens, budget);
      if (numNew <= 0) continue;
      if (!this.allocateOrPreempt(request, numNew, preempted)) break;
      rows.push(this.row(request, numNew));
      budget -= numNew;
    }
    // As vLLM: no admissions in a step that had to preempt.
    while (preempted.length === 0 && this.waiting.length > 0 && this.running.length < this.config.maxNumSeqs && budget > 0) {
      const request = this.waiting[0];
      const hit = this.kv.getComputedBlocks(request);
      const numNew = Math.min(request.numTokens - hit.numTokens, budget);
      if (!this.kv.allocateSlots(request, numNew, hit.blockIds)) break;
      this.waiting.shift();
      request.status = "RUNNING";
      request.numComputedTokens = hit.numTokens;
      if (request.numCachedTokens < 0) request.numCachedTokens = hit.numTokens;
      this.insertRunning(request);
      rows.push(this.row(request, numNew));
      budget -= numNew;
    }
    return { rows, preempted };
  }

  /**
   * Allocates, preempting the latest-arrived running request until it fits; false when the
   * request itself had to go. Victims come from the end of `running`, rows not scheduled yet.
   */
  private allocateOrPreempt(request: EngineRequest, numNew: number, preempted: EngineRequest[]): boolean {
    while (!this.kv.allocateSlots(request, numNew)) {
      const victim = this.running.pop() as EngineRequest;
      this.preempt(victim);
      preempted.push(victim);
      if (victim === request) return false;
    }
    return true;
  }

  private preempt(request: EngineRequest): void {
    this.kv.free(request);
    request.status = "PREEMPTED";
    request.numComputedTokens = 0;
    this.waiting.unshift(request);
    this.numPreemptions++;
  }

  private insertRunning(request: EngineRequest): void {
    let i = this.running.length;
    while (i > 0 && this.running[i - 1].arrival > request.arrival) i--;
    this.running.splice(i, 0, request);
  }

  private row(request: EngineRequest, numNewTokens: number): ScheduledRow {
    const end = request.numComputedTokens + numNewTokens;
    const isDecode = numNewTokens === 1 && request.numNewOutputs > 0 && end === request.numTokens;
    return { request, numNewTokens, needsLogits: end === request.numTokens, isPrefill: !isDecode };
  }

  /**
   * Applies a step: advances computed tokens, caches full blocks, appends sampled tokens and
   * finishes requests that hit a stop condition (freeing their blocks). `sampled[i]` belongs to
   * `output.rows[i]`. Rows of requests aborted during the step are skipped.
   */
  updateFromOutput(output: SchedulerOutput, sampled: readonly (SampledRow | null)[]): RequestUpdate[] {
    const updates: RequestUpdate[] = [];
    output.rows.forEach((row, i) => {
      const { request } = row;
      if (request.status !== "RUNNING") return;
      request.numComputedTokens += row.numNewTokens;
      this.kv.cacheFullBlocks(request);
      const token = sampled[i];
      if (!row.needsLogits || token === null) return;
      const index = request.nextOutputIndex;
      request.allTokenIds.push(token.tokenId);
      const finishReason = checkStop(request, this.config.eosTokenIds, this.config.maxModelLen);
      if (finishReason !== undefined) this.finish(request, finishReason);
      updates.push({ request, index, tokenId: token.tokenId, logprob: token.logprob, finishReason });
    });
    return updates;
  }

  /** Ends a request wherever it is and frees its blocks at once; false when it was already finished. */
  finish(request: EngineRequest, reason: FinishReason): boolean {
    if (request.isFinished) return false;
    for (const queue of [this.running, this.waiting]) {
      const i = queue.indexOf(request);
      if (i >= 0) queue.splice(i, 1);
    }
    this.kv.free(request);
    request.status = "FINISHED";
    request.finishReason = reason;
    return true;
  }
}
