/** What the `kvmesh bench` modes share: the workload config from flags, progress on stderr, the report's frame. */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, platform, release } from "node:os";
import type { ConfigOf } from "#common/config/index.js";
import { stopAllMeshes } from "../bench/compare/mesh-launcher.js";
import type { ModelInfo } from "../bench/loadgen/model-info.js";
import type { ProgressSink } from "../bench/loadgen/progress.js";
import { renderSummary } from "../bench/report/summary-md.js";
import type { BenchReport } from "../bench/report/types.js";
import { defaultOutDir, writeReport } from "../bench/report/write-report.js";
import type { WorkloadConfig } from "../bench/workloads/build.js";
import { parseTrace } from "../bench/workloads/trace-parser.js";
import type { LOAD_FLAGS } from "./bench-flags.js";

/** The parsed shared flags. */
export type LoadConfig = ConfigOf<typeof LOAD_FLAGS>;

/** The workload config for `config` against `model` (the trace file is read here, once). */
export function workloadConfigOf(config: LoadConfig, model: ModelInfo): WorkloadConfig {
  const traceRecords = config.workload === "trace" ? parseTrace(readFileSync(config.trace, "utf8"), config.maxRequests) : undefined;
  return { ...config, vocabSize: model.vocabSize ?? config.vocabSize, maxModelLen: model.maxModelLen, traceRecords };
}

/** Progress on stderr, so stdout carries only the summary. */
export function stderrProgress(): ProgressSink {
  return { isTTY: process.stderr.isTTY === true, write: (text) => void process.stderr.write(text) };
}

/** On SIGINT / SIGTERM: stop the meshes and stand-ins this process started, then exit 130. */
export function stopMeshesOnSignal(): void {
  const stop = (): void => {
    process.stderr.write("\nstopping the meshes this bench started…\n");
    void stopAllMeshes(5000).finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/** `kvmesh bench ...` as typed, for the report. */
export function commandLine(mode: string, argv: readonly string[]): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  return ["kvmesh", "bench", ...(mode ? [mode] : []), ...argv.map(quote)].join(" ");
}

/** The machine, and how busy it was: a shared machine's load average explains noisy latencies. */
export function machineNote(loadAtStart: readonly number[]): string {
  const cpu = cpus();
  const avg = (l: readonly number[]): string => l.map((v) => v.toFixed(2)).join(" / ");
  return `machine: ${cpu[0]?.model ?? "unknown CPU"} × ${cpu.length} (${availableParallelism()} usable by this process), ${platform()} ${release()}, node ${process.version}; load average (1/5/15 min) ${avg(loadAtStart)} at start, ${avg(loadavg())} at end`;
}

/**
 * Writes the report (to --out or a timestamped directory) with the machine and `note` added to
 * its notes, and prints the summary; returns 0, or 1 when any request failed.
 */
export function finishReport(base: BenchReport, out: string | undefined, note: string | undefined, loadAtStart: readonly number[]): number {
  const report: BenchReport = { ...base, notes: [...base.notes, machineNote(loadAtStart), ...(note ? [note] : [])] };
  const dir = out ?? defaultOutDir(new Date(report.createdAt));
  const files = writeReport(dir, report);
  process.stdout.write(`${renderSummary(report)}\nwrote ${files.join(", ")}\n`);
  const failed = report.runs.some((r) => r.stats.succeeded < r.stats.requests);
  return failed ? 1 : 0;
}
