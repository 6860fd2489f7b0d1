/**
 * `kvmesh sim`: replays a trace against the router's own decide code and simulated mocker
 * workers in simulated time, one report row per policy (and load), in `kvmesh bench`'s format.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { loadServiceConfig } from "#common/config/index.js";
import type { ConfigOf } from "#common/config/index.js";
import { SELECTION_POLICIES } from "../services/router/src/scheduling/policies.js";
import type { SelectionPolicy } from "../services/router/src/scheduling/policies.js";
import type { RunResult } from "../bench/report/types.js";
import { findSaturation, simulateRun, timeScaleForLoad } from "../bench/sim/sim-report.js";
import { summarizeTail, tailNote, tailSamples } from "../bench/sim/tail-breakdown.js";
import type { TailSample } from "../bench/sim/tail-breakdown.js";
import type { SimSetup } from "../bench/sim/sim-report.js";
import type { SimQueueOptions } from "../bench/sim/run-sim.js";
import { orderClumps } from "../bench/sim/clump-order.js";
import { parseTrace } from "../bench/workloads/trace-parser.js";
import { tokenRange } from "../bench/workloads/types.js";
import { finishReport } from "./bench-common.js";
import { SIM_FLAGS } from "./sim-flags.js";
import { simReplicasOf } from "../bench/sim/sim-replica-flags.js";

type SimConfig = ConfigOf<typeof SIM_FLAGS>;

/** Parses a comma list of policies; throws naming the first unknown one. */
export function parsePolicies(text: string): SelectionPolicy[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new Error("--policies names no policy");
  for (const n of names) if (!(SELECTION_POLICIES as readonly string[]).includes(n)) throw new Error(`--policies: unknown policy "${n}" (one of ${SELECTION_POLICIES.join(", ")})`);
  return names as SelectionPolicy[];
}

/** One report row to run: a policy, behind the router queue or not. */
export interface SimRowSpec {
  readonly policy: SelectionPolicy;
  readonly queued: boolean;
}

/** QUEUE_SUFFIX after a policy in --policies: that row runs behind the router queue. */
export const QUEUE_SUFFIX = "+queue";

/** Parses --policies where a name may end in +queue; +queue needs `queueThreshold`, and `queueThreshold` needs a +queue row. */
export function parseRowSpecs(text: string, queueThreshold: number | undefined): SimRowSpec[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const policies = parsePolicies(names.map((n) => (n.endsWith(QUEUE_SUFFIX) ? n.slice(0, -QUEUE_SUFFIX.length) : n)).join(","));
  const rows = policies.map((policy, i) => ({ policy, queued: names[i].endsWith(QUEUE_SUFFIX) }));
  if (queueThreshold === undefined && rows.some((r) => r.queued)) throw new Error("--policies: a +queue row needs --router-queue-threshold");
  // The threshold only shapes +queue rows: without one it would be silently ignored.
  if (queueThreshold !== undefined && !rows.some((r) => r.queued)) {
    throw new Error("--router-queue-threshold: no +queue row in --policies to apply it to (e.g. ttft+queue)");
  }
  return rows;
}

/** Parses --load: fractions in (0, 1.5]. */
export function parseLoads(text: string): number[] {
  const loads = text.split(",").map((s) => Number(s.trim()));
  for (const l of loads) if (!(l > 0 && l <= 1.5)) throw new Error(`--load: each fraction must be in (0, 1.5], got ${text}`);
  return loads;
}

/** The simulation setup of a config (the trace is read here). */
export function simSetupOf(config: SimConfig): SimSetup {
  const records = orderClumps(parseTrace(readFileSync(config.trace, "utf8"), config.maxRequests), config.clumpOrder);
  return {
    workers: config.workers,
    seed: config.seed,
    tokenLoadStickySeconds: config.tokenLoadTauS,
    replicas: simReplicasOf(config),
    worker: {
      numKvBlocks: config.numKvBlocks, blockSize: config.blockSize, maxNumSeqs: config.maxNumSeqs, maxBatchedTokens: config.maxBatchedTokens,
      maxWaiting: config.maxWaiting, contextLength: 131072, vocabSize: config.vocabSize, eosTokenIds: [1, 2],
    },
    trace: { records, blockSize: config.traceBlockSize, maxOutputLen: config.maxOutputLen, seed: config.seed, tokens: tokenRange(config.vocabSize) },
  };
}

/** The router queue's settings from --router-queue-* (the threshold is set: a +queue row asked for it). */
function queueOf(config: SimConfig): SimQueueOptions {
  return { thresholdTokens: config.routerQueueThreshold!, maxLength: config.routerQueueMaxLength, maxWaitMs: config.routerQueueMaxWaitMs, order: config.routerQueueOrder };
}

/** Runs `kvmesh sim`; exit 2 on bad flags, 1 when a request failed. */
export async function runSim(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "sim", spec: SIM_FLAGS, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  let policies: SimRowSpec[];
  let loads: number[] | undefined;
  try {
    policies = parseRowSpecs(config.policies, config.routerQueueThreshold);
    loads = config.load === undefined ? undefined : parseLoads(config.load);
  } catch (err) {
    console.error(`kvmesh sim: ${(err as Error).message}`);
    return 2;
  }
  const loadAtStart = loadavg();
  const setup = simSetupOf(config);
  const notes: string[] = [
    `simulated: ${config.workers} mocker workers (${config.numKvBlocks} blocks of ${config.blockSize}, ${config.maxNumSeqs} seqs, ${config.maxBatchedTokens} batched tokens), the router's own decide code, simulated time`,
  ];
  if (config.clumpOrder !== "trace") notes.push(`records sharing a timestamp replayed ${config.clumpOrder === "short" ? "fewest" : "most"} input tokens first (--clump-order ${config.clumpOrder}), not in the trace's order`);
  if (policies.some((p) => p.queued)) {
    notes.push(`+queue rows: the router queue holds a request while every worker has ≥ ${config.routerQueueThreshold} uncached prompt tokens in flight (at most ${config.routerQueueMaxLength} held, each at most ${config.routerQueueMaxWaitMs} ms, released ${config.routerQueueOrder === "shortest" ? "shortest prompt first, one held 1 s first" : "in arrival order"}); the wait counts in TTFT`);
  }
  let scales = [config.timeScale];
  if (config.findSaturation || loads !== undefined) {
    const saturation = findSaturation(setup);
    notes.push(`round-robin saturation: ${saturation.toFixed(2)} requests/s (steady completion rate, 10th–90th percentile completion, replay at time scale 0.001)`);
    if (loads !== undefined) {
      scales = loads.map((l) => timeScaleForLoad(setup, saturation, l));
      loads.forEach((l, i) => notes.push(`load ${(l * 100).toFixed(0)}% of saturation = time scale ${scales[i].toFixed(4)} (trace ×${(1 / scales[i]).toPrecision(4)})`));
    }
  }
  const runs: RunResult[] = [];
  const tails: { label: string; timeScale: number; samples: TailSample[] }[] = [];
  for (const scale of scales) {
    for (const { policy, queued } of policies) {
      const started = performance.now();
      const { row, prefillTimes } = simulateRun(setup, policy, scale, queued ? queueOf(config) : undefined);
      runs.push(row);
      if (config.tailBreakdown !== undefined) {
        const samples = tailSamples(row.requests, prefillTimes);
        tails.push({ label: row.label, timeScale: scale, samples });
        notes.push(tailNote(`${row.label} trace ×${(1 / scale).toPrecision(4)}`, summarizeTail(samples)));
      }
      process.stderr.write(`${row.label} at time scale ${scale.toFixed(4)}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
  }
  if (config.tailBreakdown !== undefined) writeFileSync(config.tailBreakdown, `${JSON.stringify({ rows: tails }, null, 1)}\n`);
  return finishReport({
    version: 1, kind: "sim", createdAt: new Date().toISOString(), command: ["kvmesh", "sim", ...argv].join(" "), model: "mocker (simulated)",
    workload: { name: "trace", params: { requests: setup.trace.records.length, blockSize: config.traceBlockSize, seed: config.seed, ...(config.maxOutputLen ? { maxOutputLen: config.maxOutputLen } : {}) } },
    blockSize: config.blockSize, runs, notes,
  }, config.out, config.note, loadAtStart);
}
