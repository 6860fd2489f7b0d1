/** Writes results.json, summary.md and the two SVG charts into one directory. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { throughputChart, ttftCdfChart } from "./charts.js";
import { renderSummary } from "./summary-md.js";
import type { BenchReport } from "./types.js";

/**
 * results.json text: indented, but each per-request row on one line with times to the µs,
 * which keeps a report of thousands of requests diffable and a fraction of the size.
 */
export function resultsJson(report: BenchReport): string {
  const text = JSON.stringify(report, null, 2);
  // Rows are flat objects (no nested braces) opening with their id; µs is finer than any clock here.
  const compact = (row: string): string => JSON.stringify(JSON.parse(row), (_k, v: unknown) => (typeof v === "number" ? Math.round(v * 1000) / 1000 : v));
  return `${text.replace(/\{\n\s+"id": [^{}]*?\n\s*\}/g, compact)}\n`;
}

/** The files of a report, by name. */
export function renderReport(report: BenchReport): Record<string, string> {
  return {
    "results.json": resultsJson(report),
    "summary.md": renderSummary(report),
    "ttft-cdf.svg": ttftCdfChart(report),
    "throughput.svg": throughputChart(report),
  };
}

/** Writes the report's files into `dir` (created if needed); returns their paths. */
export function writeReport(dir: string, report: BenchReport): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(renderReport(report)).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

/** `bench/results/2026-12-01T23-04-05Z`: a default output directory named by the time. */
export function defaultOutDir(date: Date): string {
  return join("bench", "results", date.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-"));
}
