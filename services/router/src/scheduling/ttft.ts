/**
 * `ttft`: predicted time to first token, in seconds, per worker; the smallest wins. First the
 * backlog: when the prefills this router sent to the worker are predicted to be done
 * (prefill-clock.ts: each sent request's predicted prefill, queued first come first served and
 * corrected by every first token). Then the request's own uncached tokens — plus any queued
 * tokens the clock does not know of (a peer replica's reservations) — run in chunks of the
 * worker's step budget; each chunk costs a prefill step, plus a decode step while the worker
 * has requests in flight (their decode rows share the batch). A worker whose free blocks cannot
 * hold the request's new blocks pays for recomputing what it must preempt, at its peak prefill
 * rate. The model (step-time-model.ts) is scaled per worker by a factor refitted online from
 * observed first tokens (ttft-calibration.ts).
 *
 * Why a clock rather than the tokens in flight: a prompt counts as queued work until its first
 * token, so a worker 90% through a long prefill looked as loaded as one that had not started;
 * with the clock, ttft's TTFT p50/p90 at 80% load fell from 263/921 to 237/862 ms (`kvmesh sim`,
 * 2,000 conversation records).
 *
 * The score adds one more term in the same unit: the reuse given up. Tokens cached on the
 * warmest candidate but not on this one are prefill the fleet need not do; computing them again
 * delays not only this request (its own prefill counts them already) but also the requests
 * queued behind it: on average the requests in flight per worker, plus the next arrival. So a
 * worker is left for a colder one only when its queue costs more than the recompute costs the
 * fleet, which keeps ttft on warm workers until they saturate (a greedy per-request TTFT
 * spread conversations and delivered 78% of the available reuse at 80% load).
 */
import type { WorkerCandidate } from "./cost.js";
import { cachedTokens, lowestScore } from "./policy.js";
import type { RoutingPolicy } from "./policy.js";
import type { SelectionInput } from "./selector.js";
import { decodeStepMs, MOCKER_STEP_TIMES, prefillStepMs } from "./step-time-model.js";
import type { StepTimeModel } from "./step-time-model.js";
import { TtftCalibration } from "./ttft-calibration.js";
import { PrefillClock } from "./prefill-clock.js";

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
  /** Prefill the clock predicts still ahead on the worker, ms (0 without a clock). */
  readonly backlogMs: number;
  /** Queued tokens the clock does not account for (all of the tokens in flight without a clock). */
  readonly queuedTokens: number;
  readonly uncachedTokens: number;
  readonly fullChunks: number;
  readonly restTokens: number;
  readonly prefillMs: number;
  readonly decodeMs: number;
  readonly evictionMs: number;
  /** Predicted time to first token: backlog + prefill + decode + eviction. */
  readonly totalMs: number;
  /** Tokens the warmest candidate holds that this one does not. */
  readonly lostReuseTokens: number;
  /** Their recompute at peak prefill rate × (1 + mean requests in flight per worker). */
  readonly reuseLossMs: number;
  /** What the policy ranks by: totalMs + reuseLossMs. */
  readonly scoreMs: number;
}

/** What the reuse-loss term reads from the whole candidate list (computed once per decision). */
export interface FleetView {
  readonly bestCachedTokens: number;
  readonly meanRequestsInFlight: number;
}

/** The warmest candidate's cached tokens and the mean requests in flight per candidate. */
export function fleetView(input: SelectionInput): FleetView {
  let bestCachedTokens = 0;
  let inFlight = 0;
  for (let i = 0; i < input.candidates.length; i++) {
    bestCachedTokens = Math.max(bestCachedTokens, cachedTokens(input, i));
    inFlight += input.candidates[i].requestsInFlight;
  }
  return { bestCachedTokens, meanRequestsInFlight: input.candidates.length === 0 ? 0 : inFlight / input.candidates.length };
}

/** What the terms read of a {@link PrefillClock}. */
export type BacklogView = Pick<PrefillClock, "backlogMs" | "pendingTokens">;

/**
 * One worker's prediction terms (`fleet` defaults to this worker alone: no reuse lost; without
 * `clock`, every token in flight counts as queued work).
 */
export function ttftTerms(input: SelectionInput, c: WorkerCandidate, model: StepTimeModel, chunk: number, fleet?: FleetView, clock?: BacklogView): TtftTerms {
  return fillTtftTerms({} as Mutable<TtftTerms>, input, c, model, chunk, fleet, clock);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * {@link ttftTerms} written into `out` (returned): scoring every candidate of every decision
 * reuses one object instead of building 64 (a third of a ttft decision's garbage).
 */
function fillTtftTerms(out: Mutable<TtftTerms>, input: SelectionInput, c: WorkerCandidate, model: StepTimeModel, chunk: number, fleet?: FleetView, clock?: BacklogView): TtftTerms {
  const uncachedTokens = Math.max(0, input.isl - c.overlapBlocks * input.blockSize);
  const backlogMs = clock === undefined ? 0 : clock.backlogMs(c.workerId);
  const queuedTokens = Math.max(0, c.activePrefillTokens - (clock === undefined ? 0 : clock.pendingTokens(c.workerId)));
  const work = queuedTokens + uncachedTokens;
  const fullChunks = Math.floor(work / chunk);
  const restTokens = work - fullChunks * chunk;
  const steps = fullChunks + (restTokens > 0 ? 1 : 0);
  const prefillMs = fullChunks * prefillStepMs(model, chunk) + prefillStepMs(model, restTokens);
  const decodeMs = c.requestsInFlight > 0 ? steps * decodeStepMs(model, c.kvUsage) : 0;
  const deficitBlocks = Math.max(0, c.newBlocks - c.freeBlocks);
  const peakMsPerToken = prefillStepMs(model, chunk) / chunk;
  const evictionMs = deficitBlocks * input.blockSize * peakMsPerToken;
  const totalMs = backlogMs + prefillMs + decodeMs + evictionMs;
  const cached = Math.min(input.isl, c.overlapBlocks * input.blockSize);
  const lostReuseTokens = fleet === undefined ? 0 : Math.max(0, fleet.bestCachedTokens - cached);
  const reuseLossMs = fleet === undefined ? 0 : lostReuseTokens * peakMsPerToken * (1 + fleet.meanRequestsInFlight);
  out.backlogMs = backlogMs;
  out.queuedTokens = queuedTokens;
  out.uncachedTokens = uncachedTokens;
  out.fullChunks = fullChunks;
  out.restTokens = restTokens;
  out.prefillMs = prefillMs;
  out.decodeMs = decodeMs;
  out.evictionMs = evictionMs;
  out.totalMs = totalMs;
  out.lostReuseTokens = lostReuseTokens;
  out.reuseLossMs = reuseLossMs;
  out.scoreMs = totalMs + reuseLossMs;
  return out;
}

/** A candidate and request with nothing in them: they shape the scoring scratch object. */
const EMPTY_CANDIDATE: WorkerCandidate = {
  workerId: "", overlapBlocks: 0, activePrefillTokens: 0, activeBlocks: 0, newBlocks: 0, indexedBlocks: 0, busy: false, requestsInFlight: 0, waiting: 0, kvUsage: 0, freeBlocks: 0,
};
const EMPTY_INPUT: SelectionInput = { isl: 0, blockSize: 1, overlapWeight: 1, requestBlocks: 0, candidates: [] };

/** The `ttft` policy, its calibration (for metrics) and its prefill clock. */
export function createTtft(options: TtftOptions = {}): RoutingPolicy & { readonly calibration: TtftCalibration; readonly clock: PrefillClock } {
  const model = options.model ?? MOCKER_STEP_TIMES;
  const chunk = options.chunkTokens ?? DEFAULT_CHUNK_TOKENS;
  if (!(Number.isInteger(chunk) && chunk > 0)) throw new RangeError(`chunk tokens must be a positive integer, got ${chunk}`);
  const now = options.now ?? (() => performance.now());
  const calibration = new TtftCalibration(now);
  const clock = new PrefillClock(now);
  const scratch = ttftTerms(EMPTY_INPUT, EMPTY_CANDIDATE, model, chunk) as Mutable<TtftTerms>;
  const scores = (input: SelectionInput): number[] => {
    const fleet = fleetView(input);
    const out = new Array<number>(input.candidates.length);
    for (let i = 0; i < out.length; i++) {
      const c = input.candidates[i];
      out[i] = (fillTtftTerms(scratch, input, c, model, chunk, fleet, clock).scoreMs * calibration.factor(c.workerId)) / 1000;
    }
    return out;
  };
  return {
    calibration,
    clock,
    predictTtftSeconds: (input, i) =>
      (ttftTerms(input, input.candidates[i], model, chunk, undefined, clock).totalMs * calibration.factor(input.candidates[i].workerId)) / 1000,
    score: scores,
    pick: (input, free, terms) => lowestScore(input, free, terms.map((t) => t.cost)),
    admitted: (input, workerId, requestId) => {
      const i = input.candidates.findIndex((c) => c.workerId === workerId);
      if (i < 0 || requestId === undefined) return;
      const t = ttftTerms(input, input.candidates[i], model, chunk, undefined, clock);
      calibration.sent(requestId, workerId, t.totalMs);
      // The clock queues the request's own part; the backlog ahead of it is the clock's already.
      clock.sent(requestId, workerId, t.totalMs - t.backlogMs, t.uncachedTokens);
    },
    firstToken: (requestId) => {
      clock.settled(requestId);
      calibration.firstToken(requestId);
    },
    finished: (requestId) => {
      clock.settled(requestId);
      calibration.forget(requestId);
    },
    ttftMape: (workerId) => calibration.mape(workerId),
  };
}
