/**
 * `npm run bench:soak`: starts its own mesh (`kvmesh up`, mocker workers hosted by one
 * process, its own --discovery-dir and --namespace), sends an open loop of streamed
 * completions plus periodic bursts of concurrent streams, samples every mesh process's RSS
 * every second and its open fds and V8 heap every 10 s, and writes results.json and
 * summary.md (with machine load).
 *   node dist/bench/soak/soak.js [--duration 300] [--rate 100] [--burst 2000] [--burst-every 60]
 *     [--workers 4] [--speedup 1] [--num-kv-blocks N] [--out bench/results/soak] [--heap-snapshots DIR]
 *     [--burst-snapshot frontend|preprocessor|router|worker]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defineFlags, loadServiceConfig } from "#common/config/index.js";
import { createAgent } from "../loadgen/completion-client.js";
import { launchMesh } from "../compare/mesh-launcher.js";
import { burstSnapshotLine, snapshotAtPeak } from "./burst-snapshot.js";
import type { BurstSnapshot } from "./burst-snapshot.js";
import { metricsUrls, withHeap } from "./heap-sampler.js";
import { liveHeaps, snapshotNodeOptions } from "./live-heap.js";
import { processTree, sample } from "./proc-sampler.js";
import { startRssSampler } from "./rss-sampler.js";
import { soakRequest } from "./soak-client.js";
import { flatness, summaryMarkdown } from "./soak-report.js";
import type { Tick } from "./soak-report.js";
import { bodyMaker, poissonGaps } from "./soak-workload.js";

const SAMPLE_EVERY_MS = 10_000;
/** How long the mesh idles, with no client connection open, before a sample "at rest". */
const REST_SETTLE_MS = 3_000;
/** Requests that open every lazily connected channel before the first sample at rest. */
const WARMUP_REQUESTS = 32;
const REQUEST_TIMEOUT_MS = 300_000;

const FLAGS = defineFlags([
  { name: "duration", type: "int", min: 1, default: 300, help: "seconds of open-loop traffic" },
  { name: "rate", type: "number", min: 0, default: 100, help: "open loop: Poisson arrivals per second" },
  { name: "burst", type: "int", min: 0, default: 2000, help: "concurrent streams of each burst (0: none)" },
  { name: "burst-every", type: "int", min: 0, default: 60, help: "seconds between bursts, the first at half that (0: none)" },
  { name: "workers", type: "int", min: 1, default: 4, help: "mocker workers (one process)" },
  { name: "speedup", type: "number", min: 0.0001, default: 1, help: "mocker --speedup-ratio" },
  // 0: the mocker's default (16384 blocks, which 5 minutes of this workload never fill).
  { name: "num-kv-blocks", type: "int", min: 0, default: 0, help: "KV blocks per worker (0: the mocker's default)" },
  { name: "out", type: "string", default: "bench/results/soak", help: "report directory" },
  { name: "seed", type: "int", min: 0, default: 13, help: "seed of prompts and arrivals" },
  { name: "burst-snapshot", type: "string", default: "", help: "a service to take one heap snapshot of at the first burst's peak (burst-snapshot.ts; a diagnosis run: it disturbs the RSS verdict; needs --heap-snapshots DIR)" },
  { name: "heap-snapshots", type: "string", default: "", help: "where, at rest before and after the run, every service writes a heap snapshot, so that its live heap (in use right after that full GC) is reported: a directory to keep them in, '' a temporary one removed afterwards, 'none' no snapshots" },
]);
const loaded = loadServiceConfig({ service: "bench:soak", spec: FLAGS, argv: process.argv.slice(2), out: console.log, err: console.error });
const flags = loaded.config;
const config = flags && {
  durationS: flags.duration, ratePerS: flags.rate, burstSize: flags.burst, burstEveryS: flags.burstEvery,
  workers: flags.workers, speedupRatio: flags.speedup, numKvBlocks: flags.numKvBlocks, promptTokens: 256, prefixes: 32, outputTokens: 32, seed: flags.seed,
};

type SoakConfig = NonNullable<typeof config>;

const tally = (counts: Record<string, number>, outcome: string): void => void (counts[outcome] = (counts[outcome] ?? 0) + 1);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(config: SoakConfig, outDir: string, snapshotDir: string | undefined, burstSnapshotOf: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kvmesh-soak-"));
  const loadavgStart = loadavg();
  const mesh = await launchMesh({
    command: [process.execPath, resolve("dist/cli/kvmesh.js"), "up"],
    args: ["--engine", "mocker", "--workers", String(config.workers), "--speedup-ratio", String(config.speedupRatio), "--http-port", "0",
      ...(config.numKvBlocks > 0 ? ["--num-kv-blocks", String(config.numKvBlocks)] : []),
      // Ephemeral metrics ports, announced in the banner: the soak scrapes each service's heap.
      "--metrics-port", "0", "--discovery-dir", dir, "--namespace", `soak-${process.pid}`],
    readyTimeoutMs: 180_000,
    ...(snapshotDir ? { spawn: (cmd: string, args: readonly string[]) => spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, snapshotNodeOptions(snapshotDir)].filter(Boolean).join(" ") } }) } : {}),
  });
  const stopMesh = (): void => void mesh.stop(10_000).then(() => process.exit(130));
  process.once("SIGINT", stopMesh);
  try {
    const models = (await (await fetch(`${mesh.url}/v1/models`)).json()) as { data: { id: string }[] };
    const bodies = bodyMaker({ model: models.data[0].id, promptTokens: config.promptTokens, prefixes: config.prefixes, outputTokens: config.outputTokens, seed: config.seed });
    const urls = metricsUrls(mesh.lines);
    const snapshot = async (tS: number): Promise<Tick> => ({ tS, procs: await withHeap(sample(processTree(mesh.pid)), urls) });
    // Open fds follow the connections in flight; a leak is what stays open once every client
    // has gone. So fds are compared at rest: after a warm-up (every channel open) and after the run.
    const warmup = createAgent();
    await Promise.all(Array.from({ length: WARMUP_REQUESTS }, () => soakRequest(mesh.url, warmup, bodies.next(), REQUEST_TIMEOUT_MS)));
    warmup.destroy();
    await sleep(REST_SETTLE_MS);
    const restBefore = await snapshot(0);
    const liveBefore = snapshotDir ? await liveHeaps(urls, snapshotDir) : undefined;
    const agent = createAgent();
    const steady: Record<string, number> = {};
    const bursts: Record<string, number> = {};
    const pending = new Set<Promise<void>>();
    const send = (counts: Record<string, number>): void => {
      const p = soakRequest(mesh.url, agent, bodies.next(), REQUEST_TIMEOUT_MS).then((o) => tally(counts, o));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    const ticks: Tick[] = [];
    const t0 = performance.now();
    const elapsedS = (): number => (performance.now() - t0) / 1000;
    const tick = (): void => void snapshot(Math.round(elapsedS())).then((t) => ticks.push(t));
    const sampler = setInterval(tick, SAMPLE_EVERY_MS);
    const rss = startRssSampler(mesh.pid, elapsedS);
    tick();
    const gap = poissonGaps(config.ratePerS, config.seed);
    // Bursts at half an interval, then every interval: each window of the RSS check holds some.
    let nextBurstS = config.burstEveryS > 0 ? config.burstEveryS / 2 : Infinity;
    let burstSnapshot: Promise<BurstSnapshot | undefined> | undefined;
    let due = 0;
    while (due / 1000 < config.durationS) {
      const wait = due - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
      if (elapsedS() >= nextBurstS && config.burstSize > 0) {
        console.log(`[${elapsedS().toFixed(0)} s] burst of ${config.burstSize}; open loop so far ${JSON.stringify(steady)}`);
        for (let i = 0; i < config.burstSize; i++) send(bursts);
        if (burstSnapshotOf !== "" && snapshotDir && !burstSnapshot) {
          burstSnapshot = snapshotAtPeak({ meshPid: mesh.pid, service: burstSnapshotOf, urls, dir: snapshotDir, inFlight: () => pending.size });
          void burstSnapshot.then((b) => console.log(b ? burstSnapshotLine(b) : `no burst snapshot of ${burstSnapshotOf}`));
        }
        nextBurstS += config.burstEveryS;
      }
      send(steady);
      due += gap();
    }
    await Promise.all([...pending]);
    const burstSnap = await burstSnapshot;
    clearInterval(sampler);
    ticks.push(await snapshot(Math.round(elapsedS())));
    const rssSamples = rss.stop();
    agent.destroy();
    await sleep(REST_SETTLE_MS);
    const restAfter = await snapshot(Math.round(elapsedS()));
    const liveAfter = snapshotDir ? await liveHeaps(urls, snapshotDir) : undefined;
    ticks.sort((a, b) => a.tS - b.tS);
    const result = {
      config, machine: { nproc: availableParallelism(), loadavgStart, loadavgEnd: loadavg() },
      steady, bursts, flat: flatness(ticks, config.durationS, { before: restBefore, after: restAfter }, rssSamples), ticks, rssSamples, rest: { before: restBefore, after: restAfter },
      ...(liveBefore && liveAfter ? { liveHeap: { before: liveBefore, after: liveAfter } } : {}),
      ...(burstSnap ? { burstSnapshot: burstSnap } : {}),
    };
    const out = resolve(outDir);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "results.json"), JSON.stringify(result, null, 2) + "\n");
    const summary = summaryMarkdown(result);
    writeFileSync(join(out, "summary.md"), summary);
    console.log(summary.split("\n").slice(0, 18).join("\n")); // the checks and the status counts
  } finally {
    await mesh.stop(10_000);
  }
}

if (config === undefined) process.exitCode = loaded.exitCode;
else if (flags!.burstSnapshot !== "" && (flags!.heapSnapshots === "none" || flags!.heapSnapshots === "")) {
  console.error("--burst-snapshot needs --heap-snapshots DIR: a directory that keeps the snapshot");
  process.exitCode = 2;
} else {
  const keep = flags!.heapSnapshots !== "";
  const snapshots = flags!.heapSnapshots === "none" ? undefined : keep ? resolve(flags!.heapSnapshots) : mkdtempSync(join(tmpdir(), "kvmesh-soak-heap-"));
  if (snapshots) mkdirSync(snapshots, { recursive: true });
  main(config, flags!.out, snapshots, flags!.burstSnapshot).finally(() => {
    if (snapshots && !keep) rmSync(snapshots, { recursive: true, force: true });
  }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
