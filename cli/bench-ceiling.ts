/**
 * `kvmesh bench ceiling`: the load generator against the instant loopback stand-in (its own
 * process, so the two do not share an event loop), closed loop. What it drives there is the
 * most it could measure anywhere: a report whose throughput is well below it is not
 * client-bound.
 */
import { fileURLToPath } from "node:url";
import { loadavg } from "node:os";
import { loadServiceConfig } from "#common/config/index.js";
import { launchMesh } from "../bench/compare/mesh-launcher.js";
import { parseList } from "../bench/loadgen/loads.js";
import { fetchModelInfo } from "../bench/loadgen/model-info.js";
import type { ProgressSink } from "../bench/loadgen/progress.js";
import type { ClientCeiling, RunResult } from "../bench/report/types.js";
import { runSweep } from "../bench/run-sweep.js";
import type { Workload } from "../bench/workloads/types.js";
import { commandLine, finishReport, stderrProgress, stopMeshesOnSignal, workloadConfigOf } from "./bench-common.js";
import type { LoadConfig } from "./bench-common.js";
import { CEILING_FLAGS } from "./bench-flags.js";

/** This build's `kvmesh` entry point (for starting the stand-in and meshes). */
export const KVMESH_JS = fileURLToPath(new URL("./kvmesh.js", import.meta.url));

/** The least concurrency and requests of a ceiling run: fewer would measure warm-up, not the limit. */
const MIN_CEILING_CONCURRENCY = 64;
const MIN_CEILING_REQUESTS = 2000;

/** A ceiling measurement. */
export interface CeilingResult {
  readonly run: RunResult;
  readonly ceiling: ClientCeiling;
  readonly workload: Workload;
  readonly model: string;
}

/**
 * Starts the stand-in, drives `config`'s workload closed loop at the highest --concurrency (at
 * least 64) with no think time and at least 2000 requests (multi-turn: enough sessions) where
 * the workload has a count, then stops it.
 */
export async function measureCeiling(loadConfig: LoadConfig, progress: ProgressSink): Promise<CeilingResult> {
  const given = loadConfig.concurrency === undefined ? [] : parseList(loadConfig.concurrency, "concurrency", true);
  const concurrency = Math.max(MIN_CEILING_CONCURRENCY, ...given);
  const config: LoadConfig = {
    ...loadConfig, thinkTimeMs: 0, numRequests: Math.max(loadConfig.numRequests, MIN_CEILING_REQUESTS),
    sessions: Math.max(loadConfig.sessions, concurrency, Math.ceil(MIN_CEILING_REQUESTS / loadConfig.turns)),
  };
  const standin = await launchMesh({ command: [process.execPath, KVMESH_JS, "bench", "standin"], args: ["--no-simulate-cache"], readyTimeoutMs: 30_000 });
  try {
    const model = await fetchModelInfo(standin.url);
    let workload: Workload | undefined;
    const [run] = await runSweep({
      label: "client ceiling", url: standin.url, model: model.id, workload: workloadConfigOf(config, model), seed: config.seed,
      plan: { loads: [{ kind: "concurrency", value: concurrency }] }, durationMs: config.durationMs, blockSize: config.blockSize,
      timeoutMs: config.requestTimeoutMs, progress, onWorkload: (w) => (workload = w),
    });
    return { run, workload: workload!, model: model.id, ceiling: { requestsPerS: run.stats.requestsPerS, outputTokensPerS: run.stats.outputTokensPerS, concurrency } };
  } finally {
    await standin.stop();
  }
}

/** The `ceiling` mode: measure and write the report. */
export async function runBenchCeiling(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "bench ceiling", spec: CEILING_FLAGS, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  const loadAtStart = loadavg();
  stopMeshesOnSignal();
  const { run, ceiling, workload, model } = await measureCeiling(config, stderrProgress());
  return finishReport({
    version: 1, kind: "ceiling", createdAt: new Date().toISOString(), command: commandLine("ceiling", argv), model,
    workload: { name: workload.name, params: workload.params }, blockSize: config.blockSize, runs: [run], ceiling,
    notes: ["the stand-in answers every stream at once, in its own process on this machine: the numbers are the client's limit, not a server's"],
  }, config.out, config.note, loadAtStart);
}
