// bench:mesh — what the frontend, preprocessor and router cost per request and per streamed
// token, next to a direct Worker.Generate (issue 17's table in one run).
// Run: npm run bench:mesh [-- --rate-duration 30s --out bench/results/mesh]
import { cpus, loadavg } from "node:os";
import { defineFlags, loadServiceConfig } from "#common/config/index.js";
import type { ConfigOf } from "#common/config/index.js";
import { launchMesh } from "./compare/mesh-launcher.js";
import { fetchModelInfo } from "./loadgen/model-info.js";
import { DirectWorkers } from "./mesh/direct-client.js";
import { startBenchMesh } from "./mesh/mesh-processes.js";
import type { BenchMesh } from "./mesh/mesh-processes.js";
import { measureCpu, measureLatency, measureRate, warmUpRate, warmUpStreams } from "./mesh/phases.js";
import type { CpuRow, MeshPids, RateRow, Targets } from "./mesh/phases.js";
import { cpuRowMissed, SHORT_REQUESTS_TARGET_PER_S, writeMeshReport } from "./mesh/report.js";
import { profileRow, profilerNowMicros } from "./mesh/missed-profiles.js";
import type { RowProfile } from "./mesh/missed-profiles.js";
import { measureGrpcFloor } from "./mesh/grpc-floor.js";

const FLAGS = defineFlags([
  { name: "latency-requests", type: "int", min: 10, default: 1000, help: "sequential 1-token requests per path" },
  { name: "stream-tokens", type: "int", min: 1, default: 256, help: "output tokens of each CPU-row request" },
  // /proc counts CPU in 10 ms ticks, read before and after a row in three processes: on the
  // 1-stream row's 4,096 tokens (~0.4 s) that was ±15%, and two runs on one commit read 83 and
  // 103 µs per token. 64 requests per slot make every row 4× longer.
  { name: "stream-requests", type: "int", min: 1, default: 64, help: "CPU rows: requests per stream slot (requests = streams × this)" },
  { name: "rate-duration", type: "duration", min: 1000, default: "30s", help: "closed loop of 64 short requests: how long" },
  { name: "out", type: "string", default: "bench/results/mesh", help: "report directory" },
  // The profiler costs CPU of its own: a run with it shows where time goes, not the numbers to report.
  { name: "cpu-prof-dir", type: "string", help: "run frontend, preprocessor and router under node --cpu-prof in every phase, writing their .cpuprofile files here" },
  { name: "profile-missed", type: "bool", default: true, help: "run each missed CPU or rate row once more with the hops under node --cpu-prof and report where their time goes" },
]);

/** bench:mesh's parsed flags. */
type MeshBenchConfig = ConfigOf<typeof FLAGS>;

/** The three hops' pids (the processes a missed row's profile is read for). */
function hopPids(mesh: BenchMesh): Omit<MeshPids, "worker"> {
  return { frontend: mesh.frontend.pid, preprocessor: mesh.preprocessor.pid, router: mesh.router.pid };
}

/** Every mesh process's pid (the CPU rows read /proc for each). */
function meshPids(mesh: BenchMesh): MeshPids {
  return { ...hopPids(mesh), worker: mesh.worker.pid };
}

async function withMesh<T>(workers: number, cpuProfDir: string | undefined, fn: (mesh: BenchMesh, targets: Targets) => Promise<T>): Promise<T> {
  const mesh = await startBenchMesh(workers, 10_000, cpuProfDir);
  const model = await fetchModelInfo(mesh.url);
  const direct = new DirectWorkers(mesh.workerAddresses, model.id);
  try {
    return await fn(mesh, { url: mesh.url, model: model.id, direct, vocabSize: await direct.vocabSize() });
  } finally {
    direct.close();
    await mesh.stop();
  }
}

async function main(): Promise<number> {
  const loaded = loadServiceConfig({ service: "bench:mesh", spec: FLAGS, argv: process.argv.slice(2), out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  const loadAtStart = loadavg();
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const { latency, cpu } = await withMesh(1, config.cpuProfDir, async (mesh, t) => {
    log("warm-up");
    await measureLatency(t, 100);
    log("latency: 1-token requests, direct vs mesh");
    const latency = await measureLatency(t, config.latencyRequests);
    const pids = meshPids(mesh);
    log("warm-up: streamed requests");
    await warmUpStreams(t, pids, config.streamTokens);
    const cpu = [];
    for (const streams of [1, 8, 64]) {
      // The window in the profiler's clock (monotonic µs), for profile-summary --from/--to.
      const from = process.hrtime.bigint() / 1000n;
      log(`cpu per token: ${streams} streams (from ${from} µs)`);
      cpu.push(await measureCpu(t, pids, streams, streams * config.streamRequests, config.streamTokens));
      log(`cpu per token: ${streams} streams done (to ${process.hrtime.bigint() / 1000n} µs; the mesh run's busy part ends ${Math.round(cpu.at(-1)!.wallMs * 1000)} µs after from)`);
    }
    return { latency, cpu };
  });
  const rate = await withMesh(4, config.cpuProfDir, async (mesh, t) => {
    log("short requests: closed loop of 64");
    await warmUpRate(t);
    const pids = meshPids(mesh);
    return measureRate(t, 64, config.rateDurationMs, 8, pids);
  });
  log("client ceiling: the same loop against the instant stand-in");
  const standin = await launchMesh({ command: [process.execPath, new URL("../cli/kvmesh.js", import.meta.url).pathname, "bench", "standin"], args: ["--no-simulate-cache"], readyTimeoutMs: 30_000 });
  let clientCeiling;
  try {
    const model = await fetchModelInfo(standin.url);
    const t: Targets = { url: standin.url, model: model.id, direct: new DirectWorkers([], model.id), vocabSize: 512 };
    clientCeiling = await measureRate(t, 64, Math.min(10_000, config.rateDurationMs), 8);
  } finally {
    await standin.stop();
  }
  log("floor: the same 1-message call through three do-nothing grpc-js relays");
  const floor = await measureGrpcFloor(config.latencyRequests);
  const profiles = config.profileMissed ? await profileMissedRows(config, cpu, rate, log) : [];
  writeMeshReport(config.out, {
    createdAt: new Date().toISOString(), command: `npm run bench:mesh -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", loadAtStart, loadAtEnd: loadavg() },
    latency, cpu, rate, clientCeiling, floor, profiles,
  });
  log(`wrote ${config.out}/summary.md`);
  return 0;
}

/**
 * Each row whose target was missed, once more with the hops profiled (missed-profiles.ts): CPU
 * per token at 1 and 8 streams, and the short-request rate.
 */
async function profileMissedRows(config: MeshBenchConfig, cpu: readonly CpuRow[], rate: RateRow, log: (m: string) => void): Promise<RowProfile[]> {
  const profiles: RowProfile[] = [];
  // A row that delivered no token (NaN) has nothing to profile.
  for (const row of cpu.filter((c) => cpuRowMissed(c) && Number.isFinite(c.meshMicrosPerToken))) {
    log(`profile of the missed row: cpu per token at ${row.streams} streams`);
    profiles.push(await profileRow(`CPU per streamed token, ${row.streams} stream${row.streams === 1 ? "" : "s"}`, (dir, mark) => withMesh(1, dir, async (mesh, t) => {
      const pids = meshPids(mesh);
      await warmUpStreams(t, pids, config.streamTokens);
      mark.from = profilerNowMicros();
      await measureCpu(t, pids, row.streams, row.streams * config.streamRequests, config.streamTokens);
      mark.to = profilerNowMicros();
      return hopPids(mesh);
    })));
  }
  if (rate.requestsPerS < SHORT_REQUESTS_TARGET_PER_S) {
    log("profile of the missed row: short requests");
    profiles.push(await profileRow("Short requests (closed loop of 64, 8 output tokens)", (dir, mark) => withMesh(4, dir, async (mesh, t) => {
      await warmUpRate(t);
      mark.from = profilerNowMicros();
      await measureRate(t, 64, Math.min(10_000, config.rateDurationMs), 8);
      mark.to = profilerNowMicros();
      return hopPids(mesh);
    })));
  }
  return profiles;
}

process.exitCode = await main();
