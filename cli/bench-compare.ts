/**
 * `kvmesh bench compare`: for each routing policy, a fresh local mesh (`kvmesh up`), the same
 * seeded workload, then one side-by-side report with KV's ratios over the baselines.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadavg } from "node:os";
import { loadServiceConfig } from "#common/config/index.js";
import { meshArgs } from "../bench/compare/mesh-args.js";
import { launchMesh } from "../bench/compare/mesh-launcher.js";
import { compareRuns } from "../bench/compare/ratios.js";
import { planLoads } from "../bench/loadgen/loads.js";
import { fetchModelInfo } from "../bench/loadgen/model-info.js";
import { loadText } from "../bench/report/types.js";
import type { RunResult } from "../bench/report/types.js";
import { runSweep } from "../bench/run-sweep.js";
import type { Workload } from "../bench/workloads/types.js";
import { KVMESH_JS, measureCeiling } from "./bench-ceiling.js";
import type { CeilingResult } from "./bench-ceiling.js";
import { commandLine, finishReport, stderrProgress, stopMeshesOnSignal, workloadConfigOf } from "./bench-common.js";
import { COMPARE_CONCURRENCY, COMPARE_FLAGS, COMPARE_SHARED_PREFIX_KV_BLOCKS } from "./bench-flags.js";

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== "");

/** Runs the compare; resolves with the exit code (1 when a request failed). */
export async function runBenchCompare(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "bench compare", spec: COMPARE_FLAGS, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  const loadAtStart = loadavg();
  stopMeshesOnSignal();
  const plan = planLoads(config.workload, config.concurrency, config.requestRate, config.timeScale, COMPARE_CONCURRENCY);
  const policies = words(config.policies.replace(/,/g, " "));
  const command = config.upCommand === undefined ? [process.execPath, KVMESH_JS, "up"] : words(config.upCommand);
  const progress = stderrProgress();
  const ceiling: CeilingResult | undefined = config.ceiling ? await measureCeiling(config, progress) : undefined;
  const runs: RunResult[] = [];
  let workload: Workload | undefined;
  let model = "";
  for (const policy of policies) {
    // A registry of its own: a mesh must never discover another one's workers (earlier policies', or a colleague's).
    const registry = mkdtempSync(join(tmpdir(), `kvmesh-bench-${policy}-`));
    const args = meshArgs({ ...config, policy, sharedPrefixKvBlocks: COMPARE_SHARED_PREFIX_KV_BLOCKS, discoveryDir: registry, upArgs: words(config.upArgs) });
    process.stderr.write(`starting ${[...command, ...args].join(" ")}\n`);
    const mesh = await launchMesh({ command, args, readyTimeoutMs: config.upTimeoutMs });
    process.stderr.write(`${policy}: mesh healthy at ${mesh.url} (pid ${mesh.pid})\n`);
    try {
      const info = await fetchModelInfo(mesh.url);
      model = info.id;
      runs.push(...await runSweep({
        label: policy, url: mesh.url, model: info.id, workload: workloadConfigOf(config, info), seed: config.seed, plan,
        durationMs: config.durationMs, blockSize: config.blockSize, timeoutMs: config.requestTimeoutMs, progress,
        onWorkload: (w) => (workload ??= w),
      }));
    } finally {
      await mesh.stop();
      rmSync(registry, { recursive: true, force: true });
    }
  }
  return finishReport({
    version: 1, kind: "compare", createdAt: new Date().toISOString(), command: commandLine("compare", argv), model,
    workload: { name: workload?.name ?? config.workload, params: workload?.params ?? {} }, blockSize: config.blockSize, runs,
    comparison: compareRuns(runs), ceiling: ceiling?.ceiling,
    notes: compareNotes(runs, ceiling, `${config.workers} ${config.engine} workers, speedup ratio ${config.speedupRatio}, a fresh mesh per policy: ${command.join(" ")}`),
  }, config.out, config.note, loadAtStart);
}

/** Setup, delivered hit against available reuse per run, and the client's headroom. */
function compareNotes(runs: readonly RunResult[], ceiling: CeilingResult | undefined, setup: string): string[] {
  const notes = [setup];
  for (const r of runs) {
    const { deliveredHitRate: d, availableReuse: a } = r.stats;
    notes.push(`${r.label} ${loadText(r.load)}: delivered prefix hit ${(d * 100).toFixed(1)}% of prompt tokens against ${(a * 100).toFixed(1)}% available (${a > 0 ? ((d / a) * 100).toFixed(0) : "n/a"}% of it)`);
  }
  if (ceiling) {
    const peak = Math.max(...runs.map((r) => r.stats.requestsPerS));
    notes.push(`client ceiling ${ceiling.ceiling.requestsPerS.toFixed(0)} req/s (same workload, c=${ceiling.ceiling.concurrency}); the busiest run reached ${peak.toFixed(1)} req/s = ${((peak / ceiling.ceiling.requestsPerS) * 100).toFixed(1)}% of it`);
  }
  return notes;
}
