/** The report's two charts: TTFT CDF per run, and output throughput against offered load per label. */
import { lineChart } from "./svg-chart.js";
import type { Series } from "./svg-chart.js";
import { loadText } from "./types.js";
import type { BenchReport, RunResult } from "./types.js";

const MAX_POINTS = 200;

/** CDF points of `values`: (value, fraction ≤ value), thinned to at most MAX_POINTS. */
export function cdfPoints(values: readonly number[]): Array<[number, number]> {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  const step = Math.max(1, Math.floor(n / MAX_POINTS));
  const points: Array<[number, number]> = [];
  for (let i = 0; i < n; i += step) points.push([sorted[i], (i + 1) / n]);
  if (points[points.length - 1][1] !== 1) points.push([sorted[n - 1], 1]);
  return points;
}

/** Series name of a run: its label, plus the load when the report has several loads. */
function runName(run: RunResult, manyLoads: boolean): string {
  return manyLoads ? `${run.label} ${loadText(run.load)}` : run.label;
}

/**
 * TTFT CDF, one line per run (a compare: one per policy and load). The x axis ends a little past
 * the slowest run's p99, so a few outliers do not squeeze every curve against the left edge.
 */
export function ttftCdfChart(report: BenchReport): string {
  const manyLoads = new Set(report.runs.map((r) => loadText(r.load))).size > 1;
  const p99s = report.runs.filter((r) => r.stats.ttftMs.count > 0).map((r) => r.stats.ttftMs.p99);
  const series: Series[] = report.runs.map((run) => ({
    name: runName(run, manyLoads),
    points: cdfPoints(run.requests.filter((r) => r.error === undefined && r.ttftMs !== undefined).map((r) => r.ttftMs!)),
  }));
  const xMax = p99s.length > 0 ? Math.max(...p99s) * 1.1 : undefined;
  return lineChart({ title: `TTFT CDF — ${report.workload.name}`, xLabel: "time to first token (ms; axis ends past the slowest p99)", yLabel: "fraction of requests", series, xMax });
}

/** Output tokens/s against offered load, one line per label (policy). */
export function throughputChart(report: BenchReport): string {
  const labels = [...new Set(report.runs.map((r) => r.label))];
  const series: Series[] = labels.map((label) => ({
    name: label,
    points: report.runs
      .filter((r) => r.label === label)
      .map((r): [number, number] => [r.load.value, r.stats.outputTokensPerS])
      .sort((a, b) => a[0] - b[0]),
  }));
  const kind = report.runs[0]?.load.kind ?? "concurrency";
  const xLabel = kind === "concurrency" ? "concurrency (requests in flight)" : kind === "rate" ? "offered load (requests/s)" : "trace speed-up (× real time)";
  return lineChart({ title: "Throughput vs load", xLabel, yLabel: "output tokens/s", series, markers: true });
}
