/** Writes results.json, summary.md and the two SVG charts into one directory. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { throughputChart, ttftCdfChart } from "./charts.js";
import { renderSummary } from "./summary-md.js";
import type { BenchReport } from "./types.js";

/** The files of a report, by name. */
export function renderReport(report: BenchReport): Record<string, string> {
  return {
    "results.json": `${JSON.stringify(report, null, 2)}\n`,
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
