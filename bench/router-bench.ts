// In-process router benchmark: KV event apply rate into a 64-worker × ~10,000-block index, and
// Route decision latency (hashing included, block size 16) for 4,096-token prompts against it.
// Also the same decision over gRPC (Router.Route on an in-process server, no target).
// Run: npm run bench:router   (builds, then writes bench/results/router.md)
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import type { PerformanceEntry } from "node:perf_hooks";
import { hashBlocks } from "#common/kv-hash.js";
import { KvIndexer } from "../services/router/src/indexer/kv-indexer.js";
import type { KvEventBatchData } from "../services/router/src/indexer/types.js";
import { seededRng } from "../services/router/src/scheduling/rng.js";
import { admitDecision, buildCandidates, routeRequestBlocks } from "../services/router/src/scheduling/route-plan.js";
import { createSelector } from "../services/router/src/scheduling/selector.js";
import { ActiveSequences } from "../services/router/src/sequences/active-sequences.js";
import { benchDecider, measureDecider } from "./router-bench-decider.js";
import { measureGrpcRoute } from "./router-bench-grpc.js";

const BS = 16;
const WORKERS = 64;
const PREFIXES = 8; // shared system prompts, 64 blocks each
const PREFIX_BLOCKS = 64;
const SEQS_PER_WORKER = 50; // each: a shared prefix + 192 own blocks → ~10,100 blocks a worker
const PROMPT_TOKENS = 4096;
const ROUTES = 5000;
const GRPC_ROUTES = 2000;
const rng = seededRng(2024);
const workerIds = (): string[] => Array.from({ length: WORKERS }, (_, w) => `worker-${String(w).padStart(2, "0")}`);

const randomTokens = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rng() * 32000));
const prefixes = Array.from({ length: PREFIXES }, () => randomTokens(PREFIX_BLOCKS * BS));
const prefixHashes = prefixes.map((p) => hashBlocks(p, BS));

/** The events each worker would send while filling its cache, and the prompts it holds. */
function buildWorkload(): { batches: KvEventBatchData[]; prompts: number[][] } {
  const batches: KvEventBatchData[] = [];
  const prompts: number[][] = [];
  for (let w = 0; w < WORKERS; w++) {
    const events: KvEventBatchData["events"][number][] = [];
    let id = 0n;
    for (let p = 0; p < PREFIXES; p++) {
      const h = prefixHashes[p];
      events.push({ eventId: ++id, data: { $case: "stored", stored: { blocks: h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] })) } } });
    }
    for (let s = 0; s < SEQS_PER_WORKER; s++) {
      const tokens = [...prefixes[s % PREFIXES], ...randomTokens(PROMPT_TOKENS - PREFIX_BLOCKS * BS)];
      const h = hashBlocks(tokens, BS, prefixHashes[s % PREFIXES]);
      if (s % 10 === 0) prompts.push(tokens);
      const blocks = h.local.slice(PREFIX_BLOCKS).map((localHash, i) => ({ localHash, sequenceHash: h.sequence[PREFIX_BLOCKS + i] }));
      events.push({ eventId: ++id, data: { $case: "stored", stored: { parentSequenceHash: h.sequence[PREFIX_BLOCKS - 1], blocks } } });
    }
    batches.push({ workerId: workerIds()[w], epoch: 1n, events });
  }
  return { batches, prompts };
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const sortedCopy = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** GC pauses while `fn` runs (perf_hooks "gc" entries: kind 1 minor, 2 major, 4 incremental, 8 weak callbacks). */
async function withGcPauses<T>(fn: () => T | Promise<T>): Promise<{ value: T; pauses: PerformanceEntry[] }> {
  const pauses: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => pauses.push(...list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  const value = await fn();
  // Entries are delivered asynchronously: let the last ones arrive.
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  return { value, pauses };
}

/** "N minor (longest x ms), M major (longest y ms)". */
function describePauses(pauses: readonly PerformanceEntry[]): string {
  const kind = (e: PerformanceEntry): number => (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
  const part = (label: string, es: PerformanceEntry[]): string => `${es.length} ${label}${es.length > 0 ? ` (longest ${Math.max(...es.map((e) => e.duration)).toFixed(1)} ms)` : ""}`;
  return `${part("minor", pauses.filter((e) => kind(e) === 1))}, ${part("major/incremental", pauses.filter((e) => kind(e) === 2 || kind(e) === 4))}`;
}

/** Apply rate and in-process Route latency; also returns the index for the gRPC part. */
function measureInProcess() {
  const { batches, prompts } = buildWorkload();
  const storedBlocks = batches.reduce((n, b) => n + b.events.reduce((m, e) => m + (e.data?.$case === "stored" ? e.data.stored.blocks.length : 0), 0), 0);

  // Apply rate: best of 3 fresh builds (the first also warms the JIT).
  let bestRate = 0;
  let index = new KvIndexer();
  for (let round = 0; round < 3; round++) {
    index = new KvIndexer();
    const t0 = process.hrtime.bigint();
    for (const batch of batches) index.applyEvents(batch.workerId, batch.events);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    bestRate = Math.max(bestRate, storedBlocks / seconds);
  }
  const indexed = batches.reduce((n, b) => n + index.blockCount(b.workerId), 0);

  // Route: half the prompts are cached somewhere in full, half share only a 64-block prefix.
  const workers = batches.map((b) => ({ workerId: b.workerId, load: { blocksActive: 100, blocksTotal: 20_000 } }));
  const selector = createSelector("kv");
  const seqs = new ActiveSequences(() => 0);
  const routePrompts = prompts.flatMap((p, i) => [p, [...prefixes[i % PREFIXES], ...randomTokens(PROMPT_TOKENS - PREFIX_BLOCKS * BS)]]);
  const latencies: number[] = [];
  const hashing: number[] = [];
  // CPU time of the process (all its threads, GC helpers included) per route: unlike wall
  // time it leaves out the time the OS gave to other processes on a shared machine.
  const cpuMs: number[] = [];
  let routeStart = 0;
  for (let i = 0; i < ROUTES + 500; i++) {
    if (i === 500) routeStart = performance.now();
    const tokens = routePrompts[i % routePrompts.length];
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const req = routeRequestBlocks(tokens, BS);
    const hashed = Number(process.hrtime.bigint() - t0) / 1e6;
    const candidates = buildCandidates(workers, req, index, seqs, 0.95);
    const decision = selector.selectWorker({ isl: req.isl, blockSize: BS, overlapWeight: 1, requestBlocks: req.requestBlocks, candidates });
    admitDecision(seqs, `r${i}`, req, decision);
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    if (i >= 500) {
      // The first 500 warm the JIT.
      latencies.push(elapsed);
      hashing.push(hashed);
      cpuMs.push((cpu.user + cpu.system) / 1000);
    }
    if (i >= 64) seqs.free(`r${i - 64}`); // keep 64 requests in flight
  }
  const routeWindow = [routeStart, performance.now()] as const;
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 0.5);
  const p99 = percentile(latencies, 0.99);
  hashing.sort((a, b) => a - b);
  return { bestRate, storedBlocks, indexed, p50, p99, hashing, cpuMs: sortedCopy(cpuMs), index, routePrompts, routeWindow };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const { value: r, pauses } = await withGcPauses(() => measureInProcess());
  const decider = benchDecider(r.index, workerIds(), BS);
  const viaDecider = sortedCopy(measureDecider(decider, r.routePrompts, ROUTES, 500));
  const grpc = sortedCopy((await measureGrpcRoute(decider, WORKERS, r.routePrompts, GRPC_ROUTES, 200)).latenciesMs);
  const verdict = (ok: boolean): string => (ok ? "PASS" : "MISS");
  const cpu = cpus();
  const lines = [
    "# Router benchmark (in-process)",
    "",
    `- machine: ${cpu[0]?.model ?? "unknown"} × ${cpu.length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}`,
    `- load average at start (1/5/15 min): ${loadAtStart.map((l) => l.toFixed(2)).join(" / ")}; other agents shared these CPUs while it ran`,
    "- command: `npm run bench:router` (= `npm run --silent build && node dist/bench/router-bench.js`)",
    `- index: ${WORKERS} workers, ${r.indexed} blocks indexed (${(r.indexed / WORKERS).toFixed(0)} per worker), block size ${BS}`,
    `- GC pauses while the ${ROUTES} measured in-process routes ran: ${describePauses(pauses.filter((e) => e.startTime >= r.routeWindow[0] && e.startTime <= r.routeWindow[1]))}`,
    "",
    "| measure | result | target | verdict |",
    "|---|---|---|---|",
    `| stored blocks applied per second (${r.storedBlocks} blocks, best of 3) | ${Math.round(r.bestRate).toLocaleString("en-US")} | ≥ 500,000 | ${verdict(r.bestRate >= 500_000)} |`,
    `| Route decision p50, ${PROMPT_TOKENS}-token prompt, hashing included (${ROUTES} routes, 64 in flight) | ${r.p50.toFixed(3)} ms | | |`,
    `| Route decision p99 | ${r.p99.toFixed(3)} ms | < 1 ms | ${verdict(r.p99 < 1)} |`,
    `| of which hashing (common/kv-hash.ts), p50 / p99 | ${percentile(r.hashing, 0.5).toFixed(3)} / ${percentile(r.hashing, 0.99).toFixed(3)} ms | | |`,
    `| Route decision in process CPU time (getrusage, µs resolution), p50 / p99 | ${percentile(r.cpuMs, 0.5).toFixed(3)} / ${percentile(r.cpuMs, 0.99).toFixed(3)} ms | | |`,
    `| Decider.plan + admit (the router's own path: registry views, hashing, index, load, selector), p50 / p99 | ${percentile(viaDecider, 0.5).toFixed(3)} / ${percentile(viaDecider, 0.99).toFixed(3)} ms | | |`,
    `| Router.Route over gRPC (in-process server, loopback, one call at a time, ${GRPC_ROUTES} calls), p50 / p99 | ${percentile(grpc, 0.5).toFixed(3)} / ${percentile(grpc, 0.99).toFixed(3)} ms | none | |`,
    "",
  ];
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/router.md", lines.join("\n"));
  process.stdout.write(lines.join("\n"));
}

void main();
