/** summary.md: the runs as a Markdown table, the compare ratios, the client ceiling and notes. */
import type { RunStats } from "../stats/aggregate.js";
import type { Summary } from "../stats/percentiles.js";
import { loadText } from "./types.js";
import type { BenchReport, ComparisonRow } from "./types.js";

/** Dynamo's published TTFT improvement of KV-aware routing over random routing. */
export const DYNAMO_TTFT_GAIN = 3;

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : "n/a");
const triple = (s: Summary): string => `${ms(s.p50)} / ${ms(s.p90)} / ${ms(s.p99)}`;

/** The shortfall columns: routing, index and capacity as shares of the successful requests' prompt tokens. */
function shortfallCells(s: RunStats): string {
  const f = s.shortfall;
  if (f === undefined || f.promptTokens === 0) return "n/a | n/a | n/a";
  return [f.routing, f.index, f.capacity].map((t) => pct(t / f.promptTokens)).join(" | ");
}

function runsTable(report: BenchReport): string[] {
  const head = "| run | load | requests | errors | TTFT p50/p90/p99 ms | ITL p50/p90/p99 ms | E2E p50/p90/p99 ms | out tok/s | req/s | delivered hit | available reuse | shortfall: routing | index | capacity |";
  const rows = report.runs.map((run) => {
    const s = run.stats;
    const errors = Object.values(s.errors).reduce((a, b) => a + b, 0);
    return `| ${run.label} | ${loadText(run.load)} | ${s.requests} | ${errors} | ${triple(s.ttftMs)} | ${triple(s.itlMs)} | ${triple(s.e2eMs)} | ${s.outputTokensPerS.toFixed(1)} | ${s.requestsPerS.toFixed(2)} | ${pct(s.deliveredHitRate)} | ${pct(s.availableReuse)} | ${shortfallCells(s)} |`;
  });
  return [head, `|${" --- |".repeat(14)}`, ...rows, "", SHORTFALL_NOTE];
}

/** What the shortfall columns mean (docs/routing-record.md). */
export const SHORTFALL_NOTE = "Shortfall (available − delivered), as shares of the successful requests' prompt tokens, by cause: "
  + "routing — cached on another worker than the chosen one; index — the router predicted blocks the chosen worker did not deliver (evicted or stale); "
  + "capacity — cached nowhere when routed (evicted for room, or still being computed). Delivered hit + the three = the available reuse of the successful requests "
  + "(the available column counts every sent request); n/a: the server sent no routing record.";

/** Each run's TTFT prediction error from the routing record (ttft mode only). */
function predictionLines(report: BenchReport): string[] {
  const lines = report.runs.flatMap((run) => {
    const p = run.stats.ttftPrediction;
    return p === undefined ? [] : [`- ${run.label} ${loadText(run.load)}: predicted TTFT off by ${pct(p.mape)} on average (mean absolute percentage error over ${p.requests} requests)`];
  });
  if (lines.length === 0) return [];
  const where = report.kind === "sim" ? "in simulated time, the router's own view" : "measured at the client, so it includes the frontend's and preprocessor's time";
  return ["", "## TTFT prediction", "", `The routing record's predicted_ttft_ms against each request's TTFT (${where}).`, "", ...lines];
}

function errorLines(report: BenchReport): string[] {
  const lines = report.runs.flatMap((run) =>
    Object.entries(run.stats.errors).map(([kind, n]) => `- ${run.label} ${loadText(run.load)}: ${n} × \`${kind}\``));
  return lines.length ? ["", "## Errors", "", ...lines] : [];
}

function comparisonLines(rows: readonly ComparisonRow[]): string[] {
  if (rows.length === 0) return [];
  const table = rows.map((r) => `| ${loadText(r.load)} | kv vs ${r.baseline} | ${x(r.ttftP50Gain)} | ${x(r.ttftP90Gain)} | ${x(r.throughputRatio)} |`);
  const random = rows.filter((r) => r.baseline === "random");
  const vsDynamo = random.map((r) =>
    `- ${loadText(r.load)}: KV's TTFT p50 gain over random is ${x(r.ttftP50Gain)}, ${(r.ttftP50Gain / DYNAMO_TTFT_GAIN * 100).toFixed(0)}% of Dynamo's published ${DYNAMO_TTFT_GAIN}× (${r.ttftP50Gain >= DYNAMO_TTFT_GAIN ? "at or beyond it" : `${x(DYNAMO_TTFT_GAIN / r.ttftP50Gain)} short`}).`);
  return [
    "", "## KV routing against the baselines", "",
    "Gains are baseline ÷ kv (above 1: KV answers sooner); throughput is kv ÷ baseline.", "",
    "| load | pair | TTFT p50 gain | TTFT p90 gain | throughput ratio |", "| --- | --- | --- | --- | --- |", ...table,
    ...(vsDynamo.length ? ["", ...vsDynamo] : []),
  ];
}

/** The whole summary.md text. */
export function renderSummary(report: BenchReport): string {
  const params = Object.entries(report.workload.params).map(([k, v]) => `${k}=${v}`).join(", ");
  const lines = [
    `# kvmesh bench — ${report.kind}`, "",
    `- written: ${report.createdAt}`,
    `- command: \`${report.command}\``,
    ...(report.url ? [`- target: ${report.url}, model \`${report.model}\``] : [`- model \`${report.model}\``]),
    `- workload: ${report.workload.name} (${params})`,
    `- available reuse counted in blocks of ${report.blockSize} tokens`,
    "", "## Runs", "", ...runsTable(report),
    ...predictionLines(report),
    ...comparisonLines(report.comparison ?? []),
    ...errorLines(report),
  ];
  if (report.ceiling) {
    const c = report.ceiling;
    lines.push("", "## Client ceiling", "", `Against an instant loopback stand-in at concurrency ${c.concurrency}, this client drives ${c.requestsPerS.toFixed(0)} requests/s and ${c.outputTokensPerS.toFixed(0)} output tokens/s.`);
  }
  if (report.notes.length) lines.push("", "## Notes", "", ...report.notes.map((n) => `- ${n}`));
  lines.push("", "Charts: `ttft-cdf.svg`, `throughput.svg`.");
  return `${lines.join("\n")}\n`;
}
