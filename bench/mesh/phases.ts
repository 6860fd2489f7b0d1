/**
 * The three measurements of bench:mesh, each against a running mesh: added latency per request
 * (direct Worker.Generate vs the full HTTP path), mesh CPU per streamed token, and the
 * short-request rate of a closed loop.
 */
import { seededRandom } from "#common/seeded-random.js";
import { createAgent, sendCompletion } from "../loadgen/completion-client.js";
import { summarize } from "../stats/percentiles.js";
import type { Summary } from "../stats/percentiles.js";
import { randomTokens } from "../workloads/rng.js";
import { tokenRange } from "../workloads/types.js";
import { closedLoop } from "./closed-loop.js";
import type { LoopOutcome } from "./closed-loop.js";
import type { DirectWorkers } from "./direct-client.js";
import { totalCpuMicros } from "./proc-cpu.js";

/** Where requests go. */
export interface Targets {
  readonly url: string;
  readonly model: string;
  readonly direct: DirectWorkers;
  readonly vocabSize: number;
}

/** A path: straight to the worker, or through frontend → preprocessor → router → worker. */
export type PathKind = "direct" | "mesh";

/** A prompt source: distinct seeded 16-token prompts, the same sequence for both paths. */
export function promptSource(seed: number, vocabSize: number, length = 16): (i: number) => number[] {
  const range = tokenRange(vocabSize);
  return (i) => randomTokens(seededRandom(seed * 1_000_003 + i), length, range);
}

/** A sender of one streamed request on `path`; never rejects. */
export function sender(t: Targets, path: PathKind, seed: number, maxTokens: number): (i: number) => Promise<LoopOutcome & { e2eMs: number }> {
  const prompt = promptSource(seed, t.vocabSize);
  if (path === "direct") return (i) => t.direct.generate(prompt(i), maxTokens);
  const agent = createAgent();
  const target = { url: t.url, model: t.model, agent, now: () => performance.now(), timeoutMs: 60_000 };
  return (i) => sendCompletion(target, prompt(i), maxTokens);
}

function failures(outcomes: readonly LoopOutcome[]): number {
  return outcomes.filter((o) => o.error !== undefined).length;
}

/** Latency of one request with one output token, sequential, on each path. */
export interface LatencyRow {
  readonly direct: Summary;
  readonly mesh: Summary;
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
  readonly failures: number;
}

/** `requests` sequential 1-token requests per path (interleaved in blocks so drift hits both alike). */
export async function measureLatency(t: Targets, requests: number): Promise<LatencyRow> {
  const samples: Record<PathKind, number[]> = { direct: [], mesh: [] };
  let failed = 0;
  const block = 50;
  for (let start = 0; start < requests; start += block) {
    for (const path of ["direct", "mesh"] as const) {
      const send = sender(t, path, 1 + start, 1);
      const { outcomes } = await closedLoop(1, (i) => send(i), { requests: Math.min(block, requests - start) });
      failed += failures(outcomes);
      samples[path].push(...outcomes.filter((o) => o.error === undefined).map((o) => o.e2eMs));
    }
  }
  const direct = summarize(samples.direct);
  const mesh = summarize(samples.mesh);
  return { direct, mesh, addedP50Ms: mesh.p50 - direct.p50, addedP99Ms: mesh.p99 - direct.p99, failures: failed };
}

/** CPU per streamed token at one concurrency. */
export interface CpuRow {
  readonly streams: number;
  readonly tokens: number;
  readonly wallMs: number;
  /** Frontend + preprocessor + router, idle baseline subtracted, ÷ tokens. */
  readonly meshMicrosPerToken: number;
  readonly perService: Record<string, number>;
  /** The worker's own CPU per token on the mesh path and on the direct path. */
  readonly workerMicrosPerToken: number;
  readonly directWorkerMicrosPerToken: number;
  readonly failures: number;
}

/** Pids of the measured hops and of the worker. */
export interface MeshPids {
  readonly frontend: number;
  readonly preprocessor: number;
  readonly router: number;
  readonly worker: number;
}

async function cpuOver<T>(pids: readonly number[], run: () => Promise<T>): Promise<{ result: T; micros: number[]; wallMs: number }> {
  const before = pids.map((p) => totalCpuMicros([p]));
  const t0 = performance.now();
  const result = await run();
  const wallMs = performance.now() - t0;
  return { result, micros: pids.map((p, i) => totalCpuMicros([p]) - before[i]), wallMs };
}

/** `requests` requests of `outputTokens` at `streams` concurrency, on both paths; idle window of equal length subtracted. */
export async function measureCpu(t: Targets, pids: MeshPids, streams: number, requests: number, outputTokens: number): Promise<CpuRow> {
  const order = [pids.frontend, pids.preprocessor, pids.router, pids.worker];
  const send = sender(t, "mesh", 7_000 + streams, outputTokens);
  const busy = await cpuOver(order, () => closedLoop(streams, send, { requests }));
  const idle = await cpuOver(order, () => new Promise((r) => setTimeout(r, busy.wallMs)));
  const tokens = busy.result.outcomes.reduce((s, o) => s + o.outputTokens, 0);
  const net = busy.micros.map((m, i) => Math.max(0, m - idle.micros[i]));
  const perToken = (m: number): number => (tokens > 0 ? m / tokens : Number.NaN);
  const sendDirect = sender(t, "direct", 9_000 + streams, outputTokens);
  const direct = await cpuOver([pids.worker], () => closedLoop(streams, sendDirect, { requests }));
  const directTokens = direct.result.outcomes.reduce((s, o) => s + o.outputTokens, 0);
  return {
    streams, tokens, wallMs: busy.wallMs,
    meshMicrosPerToken: perToken(net[0] + net[1] + net[2]),
    perService: { frontend: perToken(net[0]), preprocessor: perToken(net[1]), router: perToken(net[2]) },
    workerMicrosPerToken: perToken(net[3]),
    directWorkerMicrosPerToken: directTokens > 0 ? direct.micros[0] / directTokens : Number.NaN,
    failures: failures(busy.result.outcomes) + failures(direct.result.outcomes),
  };
}

/**
 * Streamed requests whose numbers are dropped: the 1-token requests never run the per-token
 * path, and an unwarmed first CPU row paid for V8 compiling it (~15% of each hop's CPU in a perf
 * profile of that row), a one-off cost per process, not per token.
 */
export async function warmUpStreams(t: Targets, pids: MeshPids, outputTokens: number): Promise<void> {
  await measureCpu(t, pids, 8, 16, outputTokens);
}

/** Completed requests per second of a closed loop. */
export interface RateRow {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly completed: number;
  readonly requestsPerS: number;
  readonly failures: number;
  /**
   * CPU (utime+stime, µs) per completed request of each measured process and of the client
   * itself: unlike the rate, it is little distorted by other load on the machine.
   */
  readonly cpuMicrosPerRequest?: Record<string, number>;
}

/**
 * Closed loop of `concurrency` for `durationMs`, `outputTokens` per request, against `url`;
 * with `pids`, also the CPU per request of those processes and of this one.
 */
export async function measureRate(t: Targets, concurrency: number, durationMs: number, outputTokens: number, pids?: MeshPids): Promise<RateRow> {
  const send = sender(t, "mesh", 11_000, outputTokens);
  const names = pids === undefined ? [] : (Object.keys(pids) as (keyof MeshPids)[]);
  const client0 = process.cpuUsage();
  const { result: { outcomes }, micros, wallMs } = await cpuOver(names.map((n) => pids![n]), () => closedLoop(concurrency, send, { durationMs }));
  const client = process.cpuUsage(client0);
  const ok = outcomes.filter((o) => o.error === undefined).length;
  const row = { concurrency, durationMs: wallMs, completed: ok, requestsPerS: (ok * 1000) / wallMs, failures: outcomes.length - ok };
  if (pids === undefined || ok === 0) return row;
  const perRequest: Record<string, number> = {};
  names.forEach((n, i) => (perRequest[n] = micros[i] / ok));
  perRequest.client = (client.user + client.system) / ok;
  return { ...row, cpuMicrosPerRequest: perRequest };
}

/** Two seconds of the short-request loop whose numbers are dropped (fresh processes compile their request path). */
export async function warmUpRate(t: Targets): Promise<void> {
  await measureRate(t, 64, 2000, 8);
}
