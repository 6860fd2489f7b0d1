/** The shape of results.json: every run of one `kvmesh bench` invocation and what it measured. */
import type { RunStats } from "../stats/aggregate.js";
import type { RequestRecord } from "../stats/record.js";

/** The offered load of a run. */
export interface LoadPoint {
  /** `concurrency`: closed loop, N in flight; `rate`: Poisson arrivals per second; `trace`: the trace's timestamps × time scale. */
  readonly kind: "concurrency" | "rate" | "trace";
  /** N, requests/s, or the trace speed-up (1 / time scale). */
  readonly value: number;
}

/** One request in results.json: the record without its inter-token gaps (they are in the stats). */
export type RequestRow = Omit<RequestRecord, "itlMs">;

/** One run: a label (the routing policy in a compare), a load, its statistics and requests. */
export interface RunResult {
  readonly label: string;
  readonly load: LoadPoint;
  readonly seed: number;
  readonly stats: RunStats;
  readonly requests: readonly RequestRow[];
}

/** One ratio row of a compare: KV against a baseline policy at one load. */
export interface ComparisonRow {
  readonly load: LoadPoint;
  readonly baseline: string;
  /** baseline ÷ kv: above 1 means KV routing answers sooner. */
  readonly ttftP50Gain: number;
  readonly ttftP90Gain: number;
  /** kv ÷ baseline output tokens/s. */
  readonly throughputRatio: number;
}

/** What the client alone can drive (`kvmesh bench ceiling`). */
export interface ClientCeiling {
  readonly requestsPerS: number;
  readonly outputTokensPerS: number;
  readonly concurrency: number;
}

/** results.json. */
export interface BenchReport {
  readonly version: 1;
  readonly kind: "bench" | "compare" | "ceiling" | "sim";
  /** ISO time the report was written. */
  readonly createdAt: string;
  /** The command line, for reproduction. */
  readonly command: string;
  readonly url?: string;
  readonly model: string;
  readonly workload: { readonly name: string; readonly params: Readonly<Record<string, string | number>> };
  /** Block size used for the available-reuse statistic. */
  readonly blockSize: number;
  readonly runs: readonly RunResult[];
  readonly comparison?: readonly ComparisonRow[];
  readonly ceiling?: ClientCeiling;
  /** Free-text lines for the summary (setup, caveats). */
  readonly notes: readonly string[];
}

/** `c=8`, `8 req/s`, `trace ×2`. */
export function loadText(load: LoadPoint): string {
  if (load.kind === "concurrency") return `c=${load.value}`;
  if (load.kind === "rate") return `${load.value} req/s`;
  return `trace ×${Number(load.value.toPrecision(4))}`;
}
