import { isConnectionFailure } from "#common/connection-failure.js";
import { CancelledError, Code } from "#common/errors.js";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { GenerateRequest, GenerateResponse, Usage } from "#contracts/gen/kvmesh/v1/common.js";
import type { Decider, RoutePlan } from "./decider.js";
import type { WorkerId } from "./indexer/types.js";
import { codeOf, isBrokenStream, migratedUsage, remainingTokens, resumeRequest, stamp, StreamEndedError } from "./resume-request.js";
import { routingRecord } from "./routing-record.js";
import { waitTurn } from "./queue/wait-turn.js";
import { WorkerLostError } from "./worker-lost-error.js";
import type { WorkerView } from "./workers/worker-registry.js";

/** Seconds between two touches of a streaming request (its sequence's stale sweep is minutes). */
const TOUCH_INTERVAL_S = 1;

/** One worker's Generate stream: its messages in order; errors are thrown by the iteration. */
export interface WorkerStream extends AsyncIterable<GenerateResponse> {
  /**
   * Cancel the call (the worker frees the sequence); a no-op once it ended. Never called after
   * the finish reason: resetting finished calls trips the worker's HTTP/2 rapid-reset guard.
   */
  cancel(): void;
}

/** Opens a worker's Generate stream (the gRPC side lives in worker-stream.ts). */
export type OpenWorkerStream = (worker: WorkerView, request: GenerateRequest, requestId: string) => WorkerStream;

/** What the forwarder reports, for metrics and logs. */
export interface ForwarderObserver {
  /** A decision was made and is being sent; `overheadSeconds` is the time deciding took. */
  decided(plan: RoutePlan, overheadSeconds: number): void;
  /** The stream moved to another worker after `failed` broke mid-stream. */
  migrated(failed: WorkerId, err: unknown): void;
  /** A worker was unavailable before the first token; another is tried. */
  retried(failed: WorkerId, err: unknown): void;
  /**
   * The first token of a sent decision came back, `ttftSeconds` after it was sent, with the
   * worker's delivered cached tokens (undefined when the worker did not say): the routing
   * record's prediction errors.
   */
  firstToken?(plan: RoutePlan, deliveredCachedTokens: number | undefined, ttftSeconds: number): void;
}

/** Settings and parts of a {@link Forwarder}. */
export interface ForwarderOptions {
  readonly decider: Decider;
  readonly open: OpenWorkerStream;
  /** --migration-limit: moves after tokens were produced; also caps retries before the first token. */
  readonly migrationLimit: number;
  readonly observer?: ForwarderObserver;
  /** Seconds from an injected clock, for the overhead metric. */
  readonly now?: () => number;
}

/**
 * The sending half of the router (Dynamo's KvPushRouter): proxies one worker's Generate
 * stream, and when the worker is lost mid-stream re-routes the prompt plus what was generated
 * to another one. The caller sees one stream with contiguous indexes; the last message names
 * the final worker and the number of migrations.
 */
export class Forwarder {
  constructor(private readonly options: ForwarderOptions) {}

  /** The caller's stream; aborting `signal` cancels the worker call and ends with CancelledError. */
  async *generate(request: GenerateRequest, signal: AbortSignal): AsyncGenerator<GenerateResponse> {
    const { decider, open, migrationLimit, observer } = this.options;
    const now = this.options.now ?? (() => performance.now() / 1000);
    const base = request.resumeFromIndex ?? 0;
    const generated: number[] = [];
    const failed = new Set<WorkerId>();
    let migrations = 0;
    let retries = 0;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new CancelledError("the caller cancelled the request");
      if (generated.length > 0 && remainingTokens(request, generated.length) <= 0) {
        // The worker died after the last allowed token but before saying so.
        yield finalLength(request, base + generated.length, [...failed].at(-1) ?? "", migrations, generated.length);
        return;
      }
      const next = resumeRequest(request, generated);
      // Late binding (router queue): a new request waits while every worker is saturated.
      if (attempt === 0 && request.workerId === undefined) await waitTurn(decider, request.model, signal, request.tokenIds.length);
      if (signal.aborted) throw new CancelledError("the caller cancelled the request");
      const started = now();
      // The supplied hashes cover the prompt alone: a resumed prompt (with generated tokens) is hashed here.
      const blockHashes = generated.length === 0 ? request.blockHashes : undefined;
      const plan = decider.plan({ model: request.model, tokenIds: next.tokenIds, pinnedWorkerId: request.workerId, excludeWorkerIds: failed, blockHashes });
      const attemptId = attempt === 0 ? request.requestId : `${request.requestId}#${attempt}`;
      decider.admit(attemptId, plan);
      const sentAt = now();
      observer?.decided(plan, sentAt - started);
      const workerId = plan.decision.workerId;
      const stream = open(plan.worker, next, request.requestId);
      const onAbort = (): void => stream.cancel();
      signal.addEventListener("abort", onAbort);
      let firstToken = true;
      let touchedAt = sentAt;
      let delivered = 0;
      let finished = false;
      let failure: unknown;
      try {
        for await (const msg of stream) {
          const first = msg.tokenIds.length > 0 && firstToken;
          delivered = msg.usage?.cachedTokens ?? msg.cachedTokens ?? delivered;
          if (first) {
            firstToken = false;
            decider.firstToken(attemptId);
            decider.workerReachable(workerId);
            observer?.firstToken?.(plan, msg.cachedTokens, now() - sentAt);
          } else if (msg.finishReason === undefined) {
            // The stale sweep counts minutes: a touch a second is plenty, not one per token.
            const t = now();
            if (t - touchedAt >= TOUCH_INTERVAL_S) {
              touchedAt = t;
              decider.touch(attemptId);
            }
          }
          const out = stamp(msg, base + generated.length, workerId, migrations);
          // The record rides the first message (a caller may stop reading early) and the last.
          if (first || msg.finishReason !== undefined) out.routing = routingRecord(plan, delivered, request.tokenIds.length);
          for (const id of msg.tokenIds) generated.push(id);
          if (msg.finishReason !== undefined) {
            finished = true;
            if (migrations > 0) out.usage = migratedUsage(request, generated.length, msg.usage);
            yield out;
            return;
          }
          if (msg.tokenIds.length > 0 || msg.logprobs.length > 0) yield out;
        }
        failure = new StreamEndedError(workerId);
      } catch (err) {
        if (signal.aborted) throw new CancelledError("the caller cancelled the request");
        failure = err;
      } finally {
        signal.removeEventListener("abort", onAbort);
        if (!finished) stream.cancel();
        decider.finish(attemptId);
      }
      failed.add(workerId);
      const unreachable = codeOf(failure) === Code.UNAVAILABLE || failure instanceof StreamEndedError;
      if (unreachable) decider.workerUnreachable(workerId);
      // Before the first token only an unreachable worker or a broken connection (GOAWAY,
      // "Session closed": the handler never answered) counts as lost; any other broken call
      // (an INTERNAL from the worker itself) is the worker's answer about this request.
      const retriable = unreachable || isConnectionFailure(failure);
      if (!isBrokenStream(failure) || (generated.length === 0 && !retriable)) throw failure;
      // A pinned request names its worker: there is nowhere else it may go.
      if (request.workerId !== undefined) throw new WorkerLostError(workerId, generated.length, "pinned", migrationLimit, failure);
      if (generated.length === 0) {
        if (retries++ >= migrationLimit) throw new WorkerLostError(workerId, 0, "limit", migrationLimit, failure);
        observer?.retried(workerId, failure);
        continue;
      }
      if (migrations >= migrationLimit) throw new WorkerLostError(workerId, generated.length, "limit", migrationLimit, failure);
      migrations++;
      observer?.migrated(workerId, failure);
    }
  }
}

/** The last message when the token budget ran out exactly as the worker was lost. */
function finalLength(request: GenerateRequest, index: number, workerId: string, migrations: number, generated: number): GenerateResponse {
  const usage: Usage = migratedUsage(request, generated, undefined);
  return { tokenIds: [], index, logprobs: [], finishReason: FinishReason.FINISH_REASON_LENGTH, usage, workerId, migrations };
}
