/** Simulated runs as `kvmesh bench` report rows, and round-robin's saturation point. */
import { aggregate } from "../stats/aggregate.js";
import { quantile } from "../stats/percentiles.js";
import type { RequestRecord } from "../stats/record.js";
import type { RunResult } from "../report/types.js";
import { traceWorkload } from "../workloads/trace.js";
import type { TraceOptions } from "../workloads/trace.js";
import type { SelectionPolicy } from "../../services/router/src/scheduling/policies.js";
import { runSim } from "./run-sim.js";
import { replicaLabel } from "./sim-replica-flags.js";
import type { SimQueueOptions, SimRunOptions, SimRunResult } from "./run-sim.js";

/** A trace replay to simulate: the trace options without the time scale, and the fleet. */
export interface SimSetup extends Omit<SimRunOptions, "policy" | "workload" | "queue"> {
  readonly trace: Omit<TraceOptions, "timeScale">;
}

/**
 * One report row: `policy` on the trace replayed at `timeScale`; with `queue`, behind the
 * router queue (late binding), labelled `<policy>+queue`.
 */
export function simulateRow(setup: SimSetup, policy: SelectionPolicy, timeScale: number, queue?: SimQueueOptions): RunResult {
  return simulateRun(setup, policy, timeScale, queue).row;
}

/** {@link simulateRow}, with each request's prefill time (`kvmesh sim --tail-breakdown`). */
export function simulateRun(setup: SimSetup, policy: SelectionPolicy, timeScale: number, queue?: SimQueueOptions): { row: RunResult; prefillTimes: SimRunResult["prefillTimes"] } {
  const workload = traceWorkload({ ...setup.trace, timeScale });
  const result = runSim({ ...setup, policy, workload, queue });
  return { row: rowOf(setup, policy, timeScale, queue, result), prefillTimes: result.prefillTimes };
}

/** A run's report row. */
function rowOf(setup: SimSetup, policy: SelectionPolicy, timeScale: number, queue: SimQueueOptions | undefined, result: SimRunResult): RunResult {
  const availableReuse = result.promptTokens === 0 ? 0 : result.availableTokens / result.promptTokens;
  return {
    label: setup.replicas === undefined ? (queue === undefined ? policy : `${policy}+queue`) : replicaLabel(policy, setup.replicas, result.agreement),
    load: { kind: "trace", value: 1 / timeScale },
    seed: setup.seed,
    stats: aggregate(result.records, availableReuse),
    requests: result.records.map(({ itlMs: _itl, ...row }) => row),
  };
}

/** Time scale that crams the replay into a burst far beyond any fleet's capacity. */
export const OVERLOAD_TIME_SCALE = 0.001;

/**
 * Steady completion rate in requests/s: the middle 80% of completions (10th to 90th percentile
 * completion time), so the ramp-up and the drain do not count.
 */
export function steadyCompletionRate(records: readonly RequestRecord[]): number {
  const done = records.filter((r) => r.error === undefined).map((r) => r.startMs + r.e2eMs).sort((a, b) => a - b);
  const t10 = quantile(done, 0.1);
  const t90 = quantile(done, 0.9);
  if (!(t90 > t10)) throw new Error("too few completions to measure a steady rate");
  return (0.8 * done.length) / ((t90 - t10) / 1000);
}

/** Round-robin's saturation (requests/s) under heavy overload. */
export function findSaturation(setup: SimSetup): number {
  return steadyCompletionRate(runSim({ ...setup, policy: "round-robin", workload: traceWorkload({ ...setup.trace, timeScale: OVERLOAD_TIME_SCALE }) }).records);
}

/** The time scale at which the trace offers `fraction` × `saturation` requests/s. */
export function timeScaleForLoad(setup: SimSetup, saturation: number, fraction: number): number {
  const stamps = setup.trace.records.map((r) => r.timestamp);
  const spanS = (Math.max(...stamps) - Math.min(...stamps)) / 1000;
  if (!(spanS > 0)) throw new Error("the trace's records all share one timestamp: no rate to scale");
  return setup.trace.records.length / (spanS * fraction * saturation);
}
