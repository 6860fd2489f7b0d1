/**
 * `ttft`: predicted time to first token, in seconds, per worker; the smallest wins. The queued
 * prefill on the worker (uncached tokens the router sent there without a first token yet) plus
 * this request's uncached tokens run in chunks of the worker's step budget; each chunk costs a
 * prefill step, plus a decode step while the worker has requests in flight (their decode rows
 * share the batch). A worker whose free blocks cannot hold the request's new blocks pays for
 * recomputing what it must preempt, at its peak prefill rate. The model (step-time-model.ts) is
 * scaled per worker by a factor refitted online from observed first tokens (ttft-calibration.ts).
 */
import type { WorkerCandidate } from "./cost.js";
import { lowestScore } from "./policy.js";
import type { RoutingPolicy } from "./policy.js";
import type { SelectionInput } from "./selector.js";
import { decodeStepMs, MOCKER_STEP_TIMES, prefillStepMs } from "./step-time-model.js";
import type { StepTimeModel } from "./step-time-model.js";
import { TtftCalibration } from "./ttft-calibration.js";

/** The mocker's default step budget (--max-batched-tokens). */
export const DEFAULT_CHUNK_TOKENS = 2048;

/** Options of the ttft policy. */
export interface TtftOptions {
  readonly model?: StepTimeModel;
  /** The workers' --max-batched-tokens. */
  readonly chunkTokens?: number;
  /** Clock in ms for the calibration. */
  readonly now?: () => number;
}

/** Every term of one worker's prediction, in ms (before the worker's factor). */
export interface TtftTerms {
  readonly queuedTokens: number;
  readonly uncachedTokens: number;
  readonly fullChunks: number;
  readonly restTokens: number;
  readonly prefillMs: number;
  readonly decodeMs: number;
  readonly evictionMs: number;
  readonly totalMs: number;
}

/** One worker's prediction terms. */
export function ttftTerms(input: SelectionInput, c: WorkerCandidate, model: StepTimeModel, chunk: number): TtftTerms {
  const uncachedTokens = Math.max(0, input.isl - c.overlapBlocks * input.blockSize);
  const queuedTokens = c.activePrefillTokens;
  const work = queuedTokens + uncachedTokens;
  const fullChunks = Math.floor(work / chunk);
  const restTokens = work - fullChunks * chunk;
  const steps = fullChunks + (restTokens > 0 ? 1 : 0);
  const prefillMs = fullChunks * prefillStepMs(model, chunk) + prefillStepMs(model, restTokens);
  const decodeMs = c.requestsInFlight > 0 ? steps * decodeStepMs(model, c.kvUsage) : 0;
  const deficitBlocks = Math.max(0, c.newBlocks - c.freeBlocks);
  const evictionMs = deficitBlocks === 0 ? 0 : ((deficitBlocks * input.blockSize) / chunk) * prefillStepMs(model, chunk);
  return { queuedTokens, uncachedTokens, fullChunks, restTokens, prefillMs, decodeMs, evictionMs, totalMs: prefillMs + decodeMs + evictionMs };
}

/** The `ttft` policy and its calibration (for metrics). */
export function createTtft(options: TtftOptions = {}): RoutingPolicy & { readonly calibration: TtftCalibration } {
  const model = options.model ?? MOCKER_STEP_TIMES;
  const chunk = options.chunkTokens ?? DEFAULT_CHUNK_TOKENS;
  if (!(Number.isInteger(chunk) && chunk > 0)) throw new RangeError(`chunk tokens must be a positive integer, got ${chunk}`);
  const calibration = new TtftCalibration(options.now ?? (() => performance.now()));
  const modelMs = (input: SelectionInput): number[] => input.candidates.map((c) => ttftTerms(input, c, model, chunk).totalMs);
  return {
    calibration,
    predictsTtft: true,
    score: (input) => modelMs(input).map((ms, i) => (ms * calibration.factor(input.candidates[i].workerId)) / 1000),
    pick: (input, free, terms) => lowestScore(input, free, terms.map((t) => t.cost)),
    admitted: (input, workerId, requestId) => {
      const i = input.candidates.findIndex((c) => c.workerId === workerId);
      if (i >= 0 && requestId !== undefined) calibration.sent(requestId, workerId, ttftTerms(input, input.candidates[i], model, chunk).totalMs);
    },
    firstToken: (requestId) => calibration.firstToken(requestId),
    finished: (requestId) => calibration.forget(requestId),
    ttftMape: (workerId) => calibration.mape(workerId),
  };
}
