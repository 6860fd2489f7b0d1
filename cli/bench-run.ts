/** `kvmesh bench`: the load generator against a running OpenAI-compatible server. */
import { loadavg } from "node:os";
import { loadServiceConfig } from "#common/config/index.js";
import { planLoads } from "../bench/loadgen/loads.js";
import { fetchModelInfo } from "../bench/loadgen/model-info.js";
import { runSweep } from "../bench/run-sweep.js";
import type { Workload } from "../bench/workloads/types.js";
import { commandLine, finishReport, stderrProgress, workloadConfigOf } from "./bench-common.js";
import { RUN_FLAGS } from "./bench-flags.js";

const MODES = "modes: kvmesh bench ceiling | compare | render | standin (each takes --help)";

/** Runs the benchmark; resolves with the exit code (1 when a request failed). */
export async function runBenchLoad(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "bench", spec: RUN_FLAGS, argv, env: process.env, out: (t) => console.log(`${t}\n\n${MODES}`), err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  const loadAtStart = loadavg();
  const plan = planLoads(config.workload, config.concurrency, config.requestRate, config.timeScale);
  const model = await fetchModelInfo(config.url, config.model);
  let workload: Workload | undefined;
  const runs = await runSweep({
    label: config.label, url: config.url, model: model.id, workload: workloadConfigOf(config, model), seed: config.seed, plan,
    durationMs: config.durationMs, blockSize: config.blockSize, timeoutMs: config.requestTimeoutMs, progress: stderrProgress(),
    onWorkload: (w) => (workload ??= w),
  });
  return finishReport({
    version: 1, kind: "bench", createdAt: new Date().toISOString(), command: commandLine("", argv), url: config.url, model: model.id,
    workload: { name: workload?.name ?? config.workload, params: workload?.params ?? {} }, blockSize: config.blockSize, runs,
    notes: model.vocabSize === undefined ? [`vocab size not listed by the server: token ids drawn from [3, ${config.vocabSize})`] : [],
  }, config.out, config.note, loadAtStart);
}
