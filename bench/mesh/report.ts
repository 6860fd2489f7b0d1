/** results.json and summary.md of bench:mesh, with the targets marked met or missed. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FloorRow } from "./grpc-floor.js";
import { renderRowProfiles } from "./missed-profiles.js";
import type { RowProfile } from "./missed-profiles.js";
import type { CpuRow, LatencyRow, RateRow } from "./phases.js";

/** Everything one bench:mesh run measured. */
export interface MeshBenchResult {
  readonly createdAt: string;
  readonly command: string;
  readonly machine: { readonly cpus: number; readonly model: string; readonly loadAtStart: readonly number[]; readonly loadAtEnd: readonly number[] };
  readonly latency: LatencyRow;
  readonly cpu: readonly CpuRow[];
  readonly rate: RateRow;
  readonly clientCeiling: RateRow;
  /** Three do-nothing grpc-js relays (absent in reports written before it was measured). */
  readonly floor?: FloorRow;
  /** Profiles of the rows whose target was missed (absent in older reports). */
  readonly profiles?: readonly RowProfile[];
}

/** Issue 17's targets: mesh CPU per streamed token by concurrency (µs, below), short requests/s (at least). */
export const CPU_PER_TOKEN_TARGET_US: Readonly<Record<number, number>> = { 1: 100, 8: 50 };
export const SHORT_REQUESTS_TARGET_PER_S = 500;

/** True when a CPU row has a target and misses it. */
export function cpuRowMissed(row: CpuRow): boolean {
  const target = CPU_PER_TOKEN_TARGET_US[row.streams];
  return target !== undefined && !(row.meshMicrosPerToken < target);
}

const f = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : "—");
const mark = (ok: boolean): string => (ok ? "met" : "**missed**");

/** The markdown summary. */
export function renderMeshSummary(r: MeshBenchResult): string {
  const cpu1 = r.cpu.find((c) => c.streams === 1);
  const cpu8 = r.cpu.find((c) => c.streams === 8);
  const lines = [
    "# bench:mesh — the mesh's own cost per request and per token",
    "",
    `${r.createdAt} · \`${r.command}\` · ${r.machine.cpus} × ${r.machine.model} · load average ${r.machine.loadAtStart.map((v) => v.toFixed(2)).join("/")} at start, ${r.machine.loadAtEnd.map((v) => v.toFixed(2)).join("/")} at end`,
    "",
    "Mocker workers at --speedup-ratio 10000 (the engine costs almost nothing), 16-token prompts, `ignore_eos`, the client in its own process. Direct = `Worker.Generate` over gRPC; mesh = HTTP → frontend → preprocessor → router → worker.",
    "",
    "## Targets",
    "| target | measured | |",
    "|---|---|---|",
    `| added p50 latency per request < 1 ms | ${f(r.latency.addedP50Ms, 2)} ms (p99 ${f(r.latency.addedP99Ms, 2)} ms) | ${mark(r.latency.addedP50Ms < 1)} |`,
    `| mesh CPU per streamed token < ${CPU_PER_TOKEN_TARGET_US[8]} µs at 8 streams | ${f(cpu8?.meshMicrosPerToken ?? NaN)} µs | ${mark(cpu8 !== undefined && !cpuRowMissed(cpu8))} |`,
    `| mesh CPU per streamed token < ${CPU_PER_TOKEN_TARGET_US[1]} µs at 1 stream | ${f(cpu1?.meshMicrosPerToken ?? NaN)} µs | ${mark(cpu1 !== undefined && !cpuRowMissed(cpu1))} |`,
    `| ≥ ${SHORT_REQUESTS_TARGET_PER_S} short requests/s (closed loop ${r.rate.concurrency}, 4 workers) | ${f(r.rate.requestsPerS)} req/s (client ceiling ${f(r.clientCeiling.requestsPerS)}) | ${mark(r.rate.requestsPerS >= SHORT_REQUESTS_TARGET_PER_S)} |`,
    "",
    "## One request, 1 output token (sequential)",
    "| path | p50 ms | p90 ms | p99 ms | n |",
    "|---|---|---|---|---|",
    `| direct Worker.Generate | ${f(r.latency.direct.p50, 2)} | ${f(r.latency.direct.p90, 2)} | ${f(r.latency.direct.p99, 2)} | ${r.latency.direct.count} |`,
    `| through the frontend | ${f(r.latency.mesh.p50, 2)} | ${f(r.latency.mesh.p90, 2)} | ${f(r.latency.mesh.p99, 2)} | ${r.latency.mesh.count} |`,
    ...floorLines(r.floor),
    "",
    "## CPU per streamed token (µs; utime+stime from /proc, idle window of equal length subtracted)",
    "| streams | tokens | frontend | preprocessor | router | mesh total | worker (mesh path) | worker (direct) | failures |",
    "|---|---|---|---|---|---|---|---|---|",
    ...r.cpu.map((c) => `| ${c.streams} | ${c.tokens} | ${f(c.perService.frontend)} | ${f(c.perService.preprocessor)} | ${f(c.perService.router)} | ${f(c.meshMicrosPerToken)} | ${f(c.workerMicrosPerToken)} | ${f(c.directWorkerMicrosPerToken)} | ${c.failures} |`),
    "",
    "## Short requests (8 output tokens, streaming)",
    `- mesh: ${r.rate.completed} completed in ${f(r.rate.durationMs / 1000)} s = ${f(r.rate.requestsPerS)} req/s, ${r.rate.failures} failed`,
    `- client ceiling (the same loop against the instant stand-in): ${f(r.clientCeiling.requestsPerS)} req/s`,
    ...cpuPerRequestLine(r.rate),
    "",
    "CPU is sampled in 10 ms ticks: the per-token figures of short runs carry that granularity.",
    ...renderRowProfiles(r.profiles ?? []),
  ];
  return `${lines.join("\n")}\n`;
}

/** The floor: what the mesh's hops cost when they do nothing. */
function floorLines(floor: FloorRow | undefined): string[] {
  if (floor === undefined) return [];
  return [
    "",
    `Floor, same machine and run: one call to a do-nothing grpc-js server ${f(floor.direct.p50, 2)} ms p50, through ${floor.hops} do-nothing grpc-js relays in processes of their own ${f(floor.relayed.p50, 2)} ms: those ${floor.hops} processes alone add ${f(floor.addedP50Ms, 2)} ms p50 (p99 ${f(floor.addedP99Ms, 2)} ms), the part of the added latency that comes with three grpc-js hops on this machine whatever they do (the mesh's first leg is HTTP/1.1, not gRPC).`,
  ];
}

/** "CPU per request" of the short-request loop, when measured. */
function cpuPerRequestLine(rate: RateRow): string[] {
  const c = rate.cpuMicrosPerRequest;
  if (c === undefined) return [];
  const mesh = (c.frontend ?? 0) + (c.preprocessor ?? 0) + (c.router ?? 0);
  const parts = Object.entries(c).map(([name, us]) => `${name} ${f(us, 0)}`).join(", ");
  return [`- CPU per request (µs, utime+stime from /proc over the loop): ${parts}; frontend + preprocessor + router ${f(mesh, 0)}`];
}

/** Writes results.json and summary.md under `dir`. */
export function writeMeshReport(dir: string, r: MeshBenchResult): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "results.json"), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(dir, "summary.md"), renderMeshSummary(r));
}
