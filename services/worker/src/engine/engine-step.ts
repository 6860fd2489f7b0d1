/**
 * One engine step: schedule → one runner.execute for every row → sample → updateFromOutput →
 * stream each request's new token (with finish reason and usage on its last).
 */
import type { TokenLogprob } from "#contracts/gen/kvmesh/v1/common.js";
import { InternalError } from "#common/errors.js";
import type { ModelRunner, RowResult, RunnerRow } from "../runners/model-runner.js";
import { sampleToken } from "../sampling/sampler.js";
import type { EngineCounters, EngineHooks, EngineSink } from "./engine-types.js";
import type { KvCacheManager } from "./kv-cache-manager.js";
import type { EngineRequest } from "./request.js";
import type { SampledRow, ScheduledRow, Scheduler } from "./scheduler.js";
import { maskedIdsFor } from "./stop-check.js";
import { usageOf } from "./usage.js";

/** What a step works with (owned by EngineCore). */
export interface StepContext {
  readonly scheduler: Scheduler;
  readonly kv: KvCacheManager;
  readonly runner: ModelRunner;
  readonly eosTokenIds: readonly number[];
  readonly counters: EngineCounters;
  readonly hooks: EngineHooks;
  readonly now: () => number;
  readonly sinkOf: (requestId: string) => EngineSink | undefined;
  /** Bookkeeping after a request's final output was sent. */
  readonly retire: (request: EngineRequest) => void;
  /** The runner failed for this request: error to its sink, blocks freed. */
  readonly failed: (request: EngineRequest, error: Error) => void;
}

/** Runs one step; does nothing when no row can be scheduled. */
export async function runStep(ctx: StepContext): Promise<void> {
  const start = ctx.now();
  const output = ctx.scheduler.schedule();
  ctx.counters.preemptions += output.preempted.length;
  if (output.rows.length === 0) return;
  reportAdmissions(ctx, output.rows);
  const rows = output.rows.map(toRunnerRow);
  let sampled: (SampledRow | null)[];
  try {
    const results: RowResult[] = await ctx.runner.execute(rows, ctx.kv.usage);
    if (results.length !== rows.length) throw new Error(`runner returned ${results.length} results for ${rows.length} rows`);
    // Rows aborted during the execute call are skipped.
    sampled = output.rows.map((row, i) => (row.request.status === "RUNNING" ? toSampled(ctx, row, results[i]) : null));
  } catch (err) {
    // Nothing of this step is applied; its requests fail and return their blocks.
    const error = new InternalError("model runner failed", { cause: err });
    for (const row of output.rows) if (!row.request.isFinished) ctx.failed(row.request, error);
    return;
  }
  const updates = ctx.scheduler.updateFromOutput(output, sampled);
  for (const u of updates) {
    const sink = ctx.sinkOf(u.request.requestId);
    const finishReason = u.finishReason;
    const usage = finishReason === undefined ? undefined : usageOf(u.request);
    const logprobs = u.logprob === undefined ? undefined : [u.logprob];
    const cachedTokens = u.index === u.request.resumeFromIndex ? (usage ?? usageOf(u.request)).cachedTokens : undefined;
    try {
      sink?.onOutput({ requestId: u.request.requestId, tokenIds: [u.tokenId], index: u.index, logprobs, finishReason, usage, cachedTokens });
    } catch {
      // A sink must not throw; the other requests go on.
    }
    if (finishReason !== undefined) ctx.retire(u.request);
  }
  const prefillTokens = output.rows.reduce((n, r) => n + (r.isPrefill ? r.numNewTokens : 0), 0);
  ctx.counters.steps++;
  ctx.counters.prefillTokensComputed += prefillTokens;
  ctx.counters.generatedTokens += updates.length;
  ctx.hooks.onStep?.({
    batchSize: rows.length,
    prefillTokens,
    decodeTokens: output.rows.filter((r) => !r.isPrefill).length,
    generatedTokens: updates.length,
    preempted: output.preempted.length,
    durationMs: ctx.now() - start,
  });
}

function toRunnerRow(row: ScheduledRow): RunnerRow {
  const r = row.request;
  const from = r.numComputedTokens;
  return {
    newTokenIds: r.allTokenIds.slice(from, from + row.numNewTokens),
    numComputedTokens: from,
    blockIds: [...r.blockIds],
    needsLogits: row.needsLogits,
    mockToken: { seed: r.seed, requestKey: r.requestId, outputIndex: r.nextOutputIndex, echo: r },
  };
}

/** Counts prompt and cached tokens of requests scheduled for the first time. */
function reportAdmissions(ctx: StepContext, rows: readonly ScheduledRow[]): void {
  for (const { request } of rows) {
    if (request.admissionReported) continue;
    request.admissionReported = true;
    ctx.counters.promptTokens += request.numInputTokens;
    ctx.counters.cachedPromptTokens += request.numCachedTokens;
    ctx.hooks.onAdmitted?.(request.requestId, request.numInputTokens, request.numCachedTokens);
  }
}

function toSampled(ctx: StepContext, row: ScheduledRow, result: RowResult): SampledRow | null {
  if (!row.needsLogits) return null;
  const r = row.request;
  if (result === null) throw new Error(`runner returned no result for a row that needs logits (${r.requestId})`);
  if ("tokenId" in result) {
    const top = r.sampling.topLogprobs;
    // A decided token (mock runner) had probability 1.
    const logprob: TokenLogprob | undefined =
      top === undefined ? undefined : { tokenId: result.tokenId, logprob: 0, top: top > 0 ? [{ tokenId: result.tokenId, logprob: 0 }] : [] };
    return { tokenId: result.tokenId, logprob };
  }
  return sampleToken(result.logits, r.sampling, {
    allTokenIds: r.allTokenIds,
    outputStart: r.outputStart,
    outputIndex: r.nextOutputIndex,
    seed: r.seed,
    maskedIds: maskedIdsFor(r, ctx.eosTokenIds),
  });
}
