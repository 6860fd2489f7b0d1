/** Aggregate statistics of one run from its request records. */
import { summarize } from "./percentiles.js";
import type { Summary } from "./percentiles.js";
import type { RequestRecord } from "./record.js";
import { totalShortfall, ttftPredictionMape } from "./shortfall.js";
import type { ShortfallTotals } from "./shortfall.js";

/** What a report row shows for one run. */
export interface RunStats {
  /** Requests sent. */
  readonly requests: number;
  readonly succeeded: number;
  /** Failed requests by error kind. */
  readonly errors: Readonly<Record<string, number>>;
  /** First send to last completion, seconds. */
  readonly durationS: number;
  readonly ttftMs: Summary;
  /** Every inter-token gap of every successful request, pooled. */
  readonly itlMs: Summary;
  /** Per request: (e2e − ttft) / (output tokens − 1). */
  readonly tpotMs: Summary;
  readonly e2eMs: Summary;
  readonly promptTokens: number;
  readonly outputTokens: number;
  readonly cachedTokens: number;
  readonly outputTokensPerS: number;
  readonly requestsPerS: number;
  /** Σ cached tokens / Σ prompt tokens of successful requests: what the mesh delivered. */
  readonly deliveredHitRate: number;
  /** The workload's own reuse ceiling (see available-reuse.ts), given by the caller. */
  readonly availableReuse: number;
  /** Requests per serving worker, when the server names it. */
  readonly perWorker: Readonly<Record<string, number>>;
  /** The shortfall split (shortfall.ts) of the successful requests; absent without routing records. */
  readonly shortfall?: ShortfallTotals;
  /** The routing record's TTFT prediction error (ttft mode; shortfall.ts). */
  readonly ttftPrediction?: { readonly mape: number; readonly requests: number };
}

/** Statistics of `records`; `availableReuse` is computed from the prompts by the caller. */
export function aggregate(records: readonly RequestRecord[], availableReuse: number): RunStats {
  const ok = records.filter((r) => r.error === undefined);
  const errors: Record<string, number> = {};
  for (const r of records) if (r.error !== undefined) errors[r.error] = (errors[r.error] ?? 0) + 1;
  const perWorker: Record<string, number> = {};
  for (const r of ok) if (r.workerId) perWorker[r.workerId] = (perWorker[r.workerId] ?? 0) + 1;
  const start = Math.min(...records.map((r) => r.startMs));
  const end = Math.max(...records.map((r) => r.startMs + r.e2eMs));
  const durationS = records.length === 0 ? 0 : Math.max(0, end - start) / 1000;
  const sum = (f: (r: RequestRecord) => number): number => ok.reduce((s, r) => s + f(r), 0);
  const promptTokens = sum((r) => r.promptTokens);
  const outputTokens = sum((r) => r.outputTokens);
  const cachedTokens = sum((r) => r.cachedTokens);
  const tpot = ok.filter((r) => r.ttftMs !== undefined && r.outputTokens > 1).map((r) => (r.e2eMs - r.ttftMs!) / (r.outputTokens - 1));
  const rate = (n: number): number => (durationS > 0 ? n / durationS : 0);
  return {
    requests: records.length,
    succeeded: ok.length,
    errors,
    durationS,
    ttftMs: summarize(ok.filter((r) => r.ttftMs !== undefined).map((r) => r.ttftMs!)),
    itlMs: summarize(ok.flatMap((r) => r.itlMs)),
    tpotMs: summarize(tpot),
    e2eMs: summarize(ok.map((r) => r.e2eMs)),
    promptTokens,
    outputTokens,
    cachedTokens,
    outputTokensPerS: rate(outputTokens),
    requestsPerS: rate(ok.length),
    deliveredHitRate: promptTokens === 0 ? 0 : cachedTokens / promptTokens,
    availableReuse,
    perWorker,
    ...withShortfall(records),
  };
}

function withShortfall(records: readonly RequestRecord[]): Pick<RunStats, "shortfall" | "ttftPrediction"> {
  const shortfall = totalShortfall(records);
  const ttftPrediction = ttftPredictionMape(records);
  return { ...(shortfall === undefined ? {} : { shortfall }), ...(ttftPrediction === undefined ? {} : { ttftPrediction }) };
}
