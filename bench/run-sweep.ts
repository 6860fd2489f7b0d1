/**
 * Every load of a plan against one server, each with a fresh draw of the same workload: the
 * seed of load k > 0 is mixed with k, so a later load never finds the prompts of an earlier
 * one in the cache, while policies compared at the same load see identical requests.
 */
import { createAgent } from "./loadgen/completion-client.js";
import type { LoadPlan } from "./loadgen/loads.js";
import type { ProgressSink } from "./loadgen/progress.js";
import { runLoad } from "./loadgen/run-load.js";
import type { RunResult } from "./report/types.js";
import { buildWorkload } from "./workloads/build.js";
import type { WorkloadConfig } from "./workloads/build.js";
import { mixSeed } from "./workloads/rng.js";
import type { Workload } from "./workloads/types.js";

/** Inputs of {@link runSweep}. */
export interface SweepOptions {
  readonly label: string;
  readonly url: string;
  /** The served model id. */
  readonly model: string;
  readonly workload: WorkloadConfig;
  readonly seed: number;
  readonly plan: LoadPlan;
  readonly durationMs?: number;
  readonly blockSize: number;
  readonly timeoutMs: number;
  readonly progress: ProgressSink;
  /** Called with each workload before it runs (for the report's parameters). */
  readonly onWorkload?: (workload: Workload) => void;
}

/** The seed of the k-th load. */
export function loadSeed(seed: number, k: number): number {
  return k === 0 ? seed : mixSeed(seed, k);
}

/** Runs each load in turn; resolves with one RunResult per load. */
export async function runSweep(options: SweepOptions): Promise<RunResult[]> {
  const agent = createAgent();
  const now = (): number => performance.now();
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const results: RunResult[] = [];
  try {
    for (const [k, load] of options.plan.loads.entries()) {
      const seed = loadSeed(options.seed, k);
      const workload = buildWorkload(options.workload, seed);
      options.onWorkload?.(workload);
      results.push(await runLoad({
        label: options.label, workload, seed, load, concurrencyCap: options.plan.concurrencyCap, durationMs: options.durationMs,
        blockSize: options.blockSize, target: { url: options.url, model: options.model, agent, now, timeoutMs: options.timeoutMs },
        progress: options.progress, sleep,
      }));
    }
  } finally {
    agent.destroy();
  }
  return results;
}
