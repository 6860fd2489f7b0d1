/**
 * One measured run: a workload at one load against one server, turned into a RunResult with
 * statistics and the available reuse of exactly the requests that were sent.
 */
import { aggregate } from "../stats/aggregate.js";
import { availableReuse } from "../stats/available-reuse.js";
import type { RequestRecord } from "../stats/record.js";
import type { LoadPoint, RunResult } from "../report/types.js";
import type { BenchRequest, RequestChain, Workload } from "../workloads/types.js";
import { withPoissonArrivals } from "./arrivals.js";
import { sendCompletion } from "./completion-client.js";
import type { CompletionTarget } from "./completion-client.js";
import { createProgress } from "./progress.js";
import type { ProgressSink } from "./progress.js";
import { runChains } from "./scheduler.js";

/** Inputs of {@link runLoad}. */
export interface RunLoadOptions {
  readonly label: string;
  readonly workload: Workload;
  readonly seed: number;
  readonly load: LoadPoint;
  /** In-flight cap for rate and trace loads (absent: none). */
  readonly concurrencyCap?: number;
  readonly durationMs?: number;
  readonly maxRequests?: number;
  /** Block size of the available-reuse statistic. */
  readonly blockSize: number;
  readonly target: CompletionTarget;
  readonly progress: ProgressSink;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * The chains as the load sends them: a closed loop ignores arrival times (a trace driven at a
 * fixed concurrency, as the ceiling does, must not wait for its timestamps); an open loop gets
 * Poisson times; a trace keeps its own.
 */
export function arrivalsFor(workload: Workload, load: LoadPoint, seed: number): readonly RequestChain[] {
  if (load.kind === "rate") return withPoissonArrivals(workload.chains, load.value, seed);
  if (load.kind === "concurrency") return workload.chains.map((c) => ({ requests: c.requests }));
  return workload.chains;
}

/** Runs the load; resolves when every sent request has finished. */
export async function runLoad(options: RunLoadOptions): Promise<RunResult> {
  const { workload, load, target } = options;
  const chains = arrivalsFor(workload, load, options.seed);
  const concurrency = load.kind === "concurrency" ? load.value : (options.concurrencyCap ?? Number.POSITIVE_INFINITY);
  const total = Math.min(options.maxRequests ?? Infinity, chains.reduce((n, c) => n + c.requests.length, 0));
  const progress = createProgress(`${options.label} ${load.kind}=${load.value}`, total, options.progress, target.now);
  const records: RequestRecord[] = [];
  const sent: BenchRequest[] = [];
  await runChains(chains, async (request, startMs) => {
    sent.push(request);
    const { promptTokens: _served, routing, ...outcome } = await sendCompletion(target, request.prompt(), request.outputLen);
    records.push({ id: request.id, startMs, promptTokens: request.promptLen, outputLen: request.outputLen, ...outcome, ...routing });
    progress.tick(outcome.error !== undefined);
  }, { concurrency, durationMs: options.durationMs, maxRequests: options.maxRequests, now: target.now, sleep: options.sleep });
  progress.done();
  // Prompts are rebuilt one at a time: a trace's prompts need not all be held at once.
  const reuse = availableReuse((function* () {
    for (const r of sent) yield r.prompt();
  })(), options.blockSize);
  // Each request's own available reuse, for the shortfall split (request ids are unique per run).
  const availableOf = new Map(sent.map((r, i) => [r.id, reuse.perRequest[i]]));
  const withReuse = records.map((r) => ({ ...r, availableTokens: availableOf.get(r.id) })).sort((a, b) => a.startMs - b.startMs);
  const stats = aggregate(withReuse, reuse.ratio);
  return { label: options.label, load, seed: options.seed, stats, requests: withReuse.map(({ itlMs: _itl, ...row }) => row) };
}
