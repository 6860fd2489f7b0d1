// Router benchmark: KV event apply rate into a 64-worker × ~10,000-block index; the Route
// decision (Decider.plan + admit, the router's own path) for 4,096-token prompts with their
// block hashes supplied, in every --router-mode; hashing the prompt on its own; and
// Router.Route over gRPC between two processes.
// Run: npm run bench:router   (builds, then writes bench/results/router.md)
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import type { PerformanceEntry } from "node:perf_hooks";
import { hashBlocks } from "#common/kv-hash.js";
import type { RouterMode } from "../services/router/src/decider.js";
import { KvIndexer } from "../services/router/src/indexer/kv-indexer.js";
import { SELECTION_POLICIES } from "../services/router/src/scheduling/policies.js";
import { measureAllocation } from "./router-bench-alloc.js";
import type { Allocation } from "./router-bench-alloc.js";
import { benchDecider, decideOnce, measureDecider } from "./router-bench-decider.js";
import type { DeciderTimes } from "./router-bench-decider.js";
import { measureGrpcRoute } from "./router-bench-grpc.js";
import type { LoopDelay } from "./router-bench-loop.js";
import { p50p99, percentile, sortedCopy } from "./router-bench-stats.js";
import { BS, buildRouterWorkload, PROMPT_TOKENS, WORKERS } from "./router-bench-workload.js";
import type { RouterWorkload } from "./router-bench-workload.js";

const ROUTES = 5000;
const WARMUP = 500;
const GRPC_CALLS = 2000;
const ALLOC_ROUTES = 2000;
const DECISION_TARGET_MS = 0.1;
const GRPC_TARGET_MS = 1;
const MODES: RouterMode[] = [...SELECTION_POLICIES, "direct"];

/**
 * A full collection before each measured phase (node --expose-gc, as `npm run bench:router`
 * runs it): the setup's garbage (the discarded index builds, the event batches) is otherwise
 * collected by a major GC inside a measured window, a pause no running router has.
 */
const collect = (): void => (globalThis as { gc?: () => void }).gc?.();

/** GC pauses while `fn` runs (perf_hooks "gc" entries: kind 1 minor, 2 major, 4 incremental, 8 weak callbacks). */
async function withGcPauses<T>(fn: () => T): Promise<{ value: T; pauses: PerformanceEntry[] }> {
  const pauses: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => pauses.push(...list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  const value = fn();
  // Entries are delivered asynchronously: let the last ones arrive.
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  return { value, pauses };
}

/** "N (longest x ms)" of GC pauses (entries or their durations in ms). */
function describePauses(pauses: readonly (PerformanceEntry | number)[]): string {
  const ms = pauses.map((p) => (typeof p === "number" ? p : p.duration));
  return `${ms.length}${ms.length > 0 ? ` (longest ${Math.max(...ms).toFixed(1)} ms, ${ms.reduce((a, b) => a + b, 0).toFixed(0)} ms in all)` : ""}`;
}

/** Best of 3 fresh builds (the first also warms the JIT); returns the last index. */
function measureApply(workload: RouterWorkload): { rate: number; index: KvIndexer } {
  let rate = 0;
  let index = new KvIndexer();
  for (let round = 0; round < 3; round++) {
    index = new KvIndexer();
    const t0 = process.hrtime.bigint();
    for (const batch of workload.batches) index.applyEvents(batch.workerId, batch.events);
    rate = Math.max(rate, workload.storedBlocks / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  return { rate, index };
}

/** Wall ms of hashing each prompt (common/kv-hash.ts), what the preprocessor now does once. */
function measureHashing(workload: RouterWorkload): number[] {
  const ms: number[] = [];
  for (let i = 0; i < ROUTES + WARMUP; i++) {
    const t0 = process.hrtime.bigint();
    hashBlocks(workload.prompts[i % workload.prompts.length].tokenIds, BS);
    if (i >= WARMUP) ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms;
}

interface ModeRow {
  readonly mode: string;
  readonly times: DeciderTimes;
  readonly gc: string;
  /** Heap allocated per decision over ALLOC_ROUTES more (load does not distort it). */
  readonly allocation: Allocation;
}

async function measureMode(workload: RouterWorkload, index: KvIndexer, mode: RouterMode, supplied: boolean): Promise<ModeRow> {
  const decider = benchDecider(index, workload.workerIds, BS, mode);
  collect();
  const pinTo = mode === "direct" ? workload.workerIds : undefined;
  const run = { routes: ROUTES, warmup: WARMUP, supplied, pinTo };
  const { value: times, pauses } = await withGcPauses(() => measureDecider(decider, workload.prompts, run));
  // The same calls again, counted by the heap they allocate (request ids continue past the timed run's).
  const allocation = measureAllocation(ALLOC_ROUTES, (i) => decideOnce(decider, workload.prompts, run, ROUTES + WARMUP + i));
  return { mode: supplied ? mode : `${mode}, hashing in the router (no hashes supplied)`, times, gc: describePauses(pauses), allocation };
}

const verdict = (ok: boolean): string => (ok ? "PASS" : "MISS");
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const loopLine = (d: LoopDelay): string => `${d.p50Ms.toFixed(2)} / ${d.p99Ms.toFixed(2)} / ${d.maxMs.toFixed(2)} ms`;

function modeLine(row: ModeRow): string {
  const wall = sortedCopy(row.times.wallMs);
  const p99 = percentile(wall, 0.99);
  const a = row.allocation;
  return `| ${row.mode} | ${p50p99(row.times.wallMs)} | ${p50p99(row.times.cpuMs)} | ${row.gc} | ${kib(a.bytesPerCall)} (${a.scavenges} scavenges) | ${verdict(p99 < DECISION_TARGET_MS)} |`;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const workload = buildRouterWorkload();
  const { rate, index } = measureApply(workload);
  const indexed = workload.workerIds.reduce((n, w) => n + index.blockCount(w), 0);
  collect();
  const hashing = measureHashing(workload);
  const rows: ModeRow[] = [];
  for (const mode of MODES) rows.push(await measureMode(workload, index, mode, true));
  rows.push(await measureMode(workload, index, "kv", false));
  collect();
  const grpc = await measureGrpcRoute(workload.prompts, WORKERS, GRPC_CALLS, 200);
  const grpcP99 = percentile(sortedCopy(grpc.latenciesMs), 0.99);
  const floorP99 = percentile(sortedCopy(grpc.floorMs), 0.99);
  const loadAtEnd = loadavg();
  const cpu = cpus();
  const s = grpc.server;
  const lines = [
    "# Router benchmark",
    "",
    `- machine: ${cpu[0]?.model ?? "unknown"} × ${cpu.length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}`,
    `- load average (1/5/15 min) at start: ${loadAtStart.map((l) => l.toFixed(2)).join(" / ")}; at end: ${loadAtEnd.map((l) => l.toFixed(2)).join(" / ")}`,
    "- command: `npm run bench:router` (= `npm run --silent build && node --expose-gc dist/bench/router-bench.js`; a full GC before each measured phase)",
    `- index: ${WORKERS} workers, ${indexed} blocks indexed (${(indexed / WORKERS).toFixed(0)} per worker), block size ${BS}; prompts of ${PROMPT_TOKENS} tokens, half cached somewhere in full, half sharing a 64-block prefix`,
    `- decisions: Decider.plan + admit (registry views, supplied block hashes checked, index walk, load, selector), ${ROUTES} per mode after ${WARMUP} warm-up, 64 in flight`,
    "",
    "| measure | result | target | verdict |",
    "|---|---|---|---|",
    `| stored blocks applied per second (${workload.storedBlocks} blocks, best of 3) | ${Math.round(rate).toLocaleString("en-US")} | ≥ 500,000 | ${verdict(rate >= 500_000)} |`,
    `| hashing a ${PROMPT_TOKENS}-token prompt (common/kv-hash.ts; done once in the preprocessor), p50 / p99 | ${p50p99(hashing)} | | |`,
    `| Router.Route over gRPC between two processes (loopback, one call at a time, hashes supplied, ${GRPC_CALLS} calls), p50 / p99 | ${p50p99(grpc.latenciesMs)} | p99 < ${GRPC_TARGET_MS} ms | ${verdict(grpcP99 < GRPC_TARGET_MS)} |`,
    `| … the floor: the same calls (client, channel options, request bytes, Route's reply bytes) to a do-nothing grpc-js server in its own process, in alternating blocks of 100, p50 / p99 | ${p50p99(grpc.floorMs)} | | ${floorP99 >= GRPC_TARGET_MS ? `the floor itself is ≥ ${GRPC_TARGET_MS} ms at p99 on this machine` : ""} |`,
    `| … the client's own GC pauses over the same calls (they delay Route and floor calls alike); heap it allocated, and promoted by scavenges, per call | ${describePauses(grpc.clientGcMs)}; ${kib(grpc.clientAllocation.bytesPerCall)}, ${kib(grpc.clientAllocation.promotedBytesPerCall)} | | |`,
    `| … CPU per call (utime + stime from /proc over their blocks): the Route server; the floor server | ${grpc.serverCpuUsPerCall.toFixed(0)} µs; ${grpc.floorCpuUsPerCall.toFixed(0)} µs | | |`,
    `| … inside the server process: plan p50 / p99; request decoded → answer encoded p50 / p99; GC pauses | ${s.planP50Ms.toFixed(3)} / ${s.planP99Ms.toFixed(3)} ms; ${s.workP50Ms.toFixed(3)} / ${s.workP99Ms.toFixed(3)} ms; ${s.gcPauses} (longest ${s.gcMaxMs.toFixed(1)} ms, ${s.gcTotalMs.toFixed(0)} ms in all) | | |`,
    `| … the server's event-loop delay (a 1 ms timer's lateness, router-bench-loop.ts) p50 / p99 / max: while serving; while idle (the floor's blocks) | ${loopLine(s.loopServing)}; ${loopLine(s.loopIdle)} | | |`,
    `| … heap allocated per Route call in the server; promoted by scavenges per call; scavenges / mark-compacts over the ${GRPC_CALLS} calls | ${kib(s.allocatedBytesPerCall)}; ${kib(s.promotedBytesPerCall)}; ${s.scavenges} / ${s.markCompacts} | | |`,
    "",
    `Route decision per router mode, block hashes supplied (target p99 < ${DECISION_TARGET_MS * 1000} µs, wall clock):`,
    "",
    `| mode | wall p50 / p99 | process CPU p50 / p99 (getrusage, µs resolution) | GC pauses while measured | heap allocated per decision (V8 GC profiler, ${ALLOC_ROUTES} more decisions) | p99 < 100 µs |`,
    "|---|---|---|---|---|---|",
    ...rows.map(modeLine),
    "",
  ];
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/router.md", lines.join("\n"));
  process.stdout.write(lines.join("\n"));
}

void main();
