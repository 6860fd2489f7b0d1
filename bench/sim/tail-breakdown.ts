/**
 * Where a row's TTFT tail comes from (`kvmesh sim --tail-breakdown`): per request, its wait on
 * the worker against its own prefill steps (and the decode rows that shared them), and for the
 * row, the p90 it would have with no wait at all. That p90 is a floor no placement reaches while
 * every prefill step carries decode rows (at 80% load every worker always decodes): the router
 * can only shorten waits, not a prompt's own prefill. Issue 15's analysis of ttft's p90 at 80%
 * load rests on these numbers (README, Trace simulator).
 */
import { quantile } from "../stats/percentiles.js";
import type { RequestRecord } from "../stats/record.js";
import type { PrefillTime } from "./sim-worker.js";

/** One request's TTFT, split (ms; tokens). */
export interface TailSample {
  readonly id: string;
  readonly arrivalMs: number;
  readonly workerId: string;
  readonly promptTokens: number;
  readonly uncachedTokens: number;
  readonly availableTokens: number;
  readonly predictedTtftMs?: number;
  readonly ttftMs: number;
  /** TTFT − own prefill steps: queued behind other work (before its first chunk or between chunks). */
  readonly waitMs: number;
  /** The steps that fed its prompt, whole (other rows included). */
  readonly ownPrefillMs: number;
  /** Of ownPrefillMs, the decode time of decode rows sharing those steps. */
  readonly decodeShareMs: number;
  readonly prefillSteps: number;
  /** Of prefillSteps, those that carried decode rows. */
  readonly decodeSteps: number;
}

/** A row's tail, summed up. */
export interface TailSummary {
  readonly requests: number;
  readonly ttftP90Ms: number;
  /** p90 of ownPrefillMs: every wait removed, the steps as they were. */
  readonly noWaitP90Ms: number;
  /** p90 of ownPrefillMs − decodeShareMs: no wait and no decode row in any prefill step. */
  readonly noWaitNoDecodeP90Ms: number;
  /** Requests at or over the TTFT p90 (the slowest 10%) and their means. */
  readonly slowest: { readonly count: number; readonly uncachedTokens: number; readonly ownPrefillMs: number; readonly decodeShareMs: number; readonly waitMs: number };
}

/** The samples of the records that have a TTFT and a prefill time, arrival order. */
export function tailSamples(records: readonly Omit<RequestRecord, "itlMs">[], prefillTimes: ReadonlyMap<string, PrefillTime>): TailSample[] {
  const out: TailSample[] = [];
  for (const r of records) {
    const t = prefillTimes.get(r.id);
    if (r.ttftMs === undefined || t === undefined) continue;
    out.push({
      id: r.id, arrivalMs: r.startMs, workerId: r.workerId ?? "", promptTokens: r.promptTokens, uncachedTokens: r.promptTokens - r.cachedTokens,
      availableTokens: r.availableTokens ?? 0, ...(r.predictedTtftMs === undefined ? {} : { predictedTtftMs: r.predictedTtftMs }),
      ttftMs: r.ttftMs, waitMs: r.ttftMs - t.stepsMs, ownPrefillMs: t.stepsMs, decodeShareMs: t.decodeMs, prefillSteps: t.steps, decodeSteps: t.decodeSteps,
    });
  }
  return out.sort((a, b) => a.arrivalMs - b.arrivalMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const p90 = (xs: number[]): number => quantile(xs.sort((a, b) => a - b), 0.9);
const mean = (xs: readonly TailSample[], f: (s: TailSample) => number): number => (xs.length === 0 ? 0 : xs.reduce((a, s) => a + f(s), 0) / xs.length);

/** The row's tail summary (NaN percentiles and zero means without samples). */
export function summarizeTail(samples: readonly TailSample[]): TailSummary {
  const ttftP90Ms = p90(samples.map((s) => s.ttftMs));
  const slowest = samples.filter((s) => s.ttftMs >= ttftP90Ms);
  return {
    requests: samples.length,
    ttftP90Ms,
    noWaitP90Ms: p90(samples.map((s) => s.ownPrefillMs)),
    noWaitNoDecodeP90Ms: p90(samples.map((s) => s.ownPrefillMs - s.decodeShareMs)),
    slowest: {
      count: slowest.length,
      uncachedTokens: mean(slowest, (s) => s.uncachedTokens),
      ownPrefillMs: mean(slowest, (s) => s.ownPrefillMs),
      decodeShareMs: mean(slowest, (s) => s.decodeShareMs),
      waitMs: mean(slowest, (s) => s.waitMs),
    },
  };
}

/** The summary as one line of the report's notes. */
export function tailNote(label: string, t: TailSummary): string {
  const ms = (x: number): string => x.toFixed(0);
  const s = t.slowest;
  return (
    `tail ${label}: TTFT p90 ${ms(t.ttftP90Ms)} ms; with no wait (each request's own prefill steps as simulated) p90 ${ms(t.noWaitP90Ms)} ms, ` +
    `and with no decode rows in them ${ms(t.noWaitNoDecodeP90Ms)} ms; the slowest ${s.count}: ${ms(s.uncachedTokens)} uncached tokens, ` +
    `own prefill ${ms(s.ownPrefillMs)} ms (decode rows ${ms(s.decodeShareMs)} ms), wait ${ms(s.waitMs)} ms on average`
  );
}
