/** `kvmesh bench render --results FILE [--out DIR]`: redraws summary.md and the charts from a results.json. */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { defineFlags, loadServiceConfig } from "#common/config/index.js";
import type { BenchReport } from "../bench/report/types.js";
import { writeReport } from "../bench/report/write-report.js";

const RENDER_FLAGS = defineFlags([
  { name: "results", type: "string", help: "a results.json written by kvmesh bench" },
  { name: "out", type: "string", help: "where to write (default: the results file's directory)" },
]);

/** Re-renders a report; exit 2 without --results. */
export async function runBenchRender(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "bench render", spec: RENDER_FLAGS, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const { results, out } = loaded.config;
  if (!results) {
    console.error("kvmesh bench render: --results FILE is required");
    return 2;
  }
  const report = JSON.parse(readFileSync(results, "utf8")) as BenchReport;
  if (report.version !== 1) throw new Error(`${results}: not a kvmesh bench results.json (version ${String(report.version)})`);
  console.log(`wrote ${writeReport(out ?? dirname(results), report).join(", ")}`);
  return 0;
}
