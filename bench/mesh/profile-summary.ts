// Where a hop's CPU goes: self time per function or per category (grpc-js, Node streams,
// protobuf, GC, our own files...) of a .cpuprofile written under `bench:mesh --cpu-prof-dir`,
// optionally within one CPU row's window (the µs stamps bench:mesh logs with that flag).
// Run: node dist/bench/mesh/profile-summary.js --profile DIR/CPU....cpuprofile [--by category] [--from µs --to µs]
import { readFileSync } from "node:fs";
import { defineFlags, loadServiceConfig } from "#common/config/index.js";

const FLAGS = defineFlags([
  { name: "profile", type: "string", default: "", help: "the .cpuprofile to read" },
  { name: "by", type: "enum", choices: ["function", "category"], default: "function", help: "group self time by" },
  { name: "top", type: "int", min: 1, default: 30, help: "rows to print" },
  { name: "from", type: "number", min: 0, default: 0, help: "window start (monotonic µs, as logged by bench:mesh)" },
  { name: "to", type: "number", min: 0, default: 0, help: "window end (0: the profile's end)" },
]);

interface CallFrame { functionName: string; url: string; lineNumber: number }
export interface Profile { nodes: Array<{ id: number; callFrame: CallFrame }>; startTime: number; samples: number[]; timeDeltas: number[] }

/** The category of a frame: the library or Node subsystem it belongs to, or our own file. */
export function category(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") return functionName.startsWith("(") ? functionName : `native ${functionName}`;
  if (url.includes("node_modules/")) return url.replace(/^.*node_modules\//, "").split("/").slice(0, url.includes("/@") ? 2 : 1).join("/");
  if (url.startsWith("node:")) return `node:${url.replace(/^node:(internal\/)?/, "").split("/")[0].replace(/\.js$/, "")}`;
  return url.replace(/^.*\/dist\//, "");
}

function label(frame: CallFrame, by: string): string {
  return by === "category" ? category(frame) : `${frame.functionName || "(anonymous)"} ${category(frame)}:${frame.lineNumber + 1}`;
}

/**
 * A gap between two samples longer than this many median intervals counts as one median
 * interval: the sampler runs on a thread of the profiled process, so such a gap is time the
 * process was not scheduled (a loaded machine), not time spent in the frame sampled before it.
 * Unclipped, one preempted sample put 115 ms on prom-client's Gauge.dec in a frontend profile.
 */
export const MAX_GAP_INTERVALS = 10;

/** The median of `values` (0 when empty). */
function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Self time (µs) per label within [from, to], idle left out; and the busy total. */
export function selfTimes(profile: Profile, by: string, from: number, to: number): { busy: number; rows: Array<[string, number]> } {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const totals = new Map<string, number>();
  const interval = median(profile.timeDeltas);
  let t = profile.startTime;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const frame = frames.get(profile.samples[i]);
    // A sample's time runs to the next sample (see MAX_GAP_INTERVALS for descheduled gaps).
    const gap = profile.timeDeltas[i + 1] ?? 0;
    const dt = gap > MAX_GAP_INTERVALS * interval ? interval : gap;
    if (frame === undefined || frame.functionName === "(idle)" || t < from || (to > 0 && t > to)) continue;
    busy += dt;
    const key = label(frame, by);
    totals.set(key, (totals.get(key) ?? 0) + dt);
  }
  return { busy, rows: [...totals].sort((a, b) => b[1] - a[1]) };
}

function main(): number {
  const loaded = loadServiceConfig({ service: "bench:mesh profile-summary", spec: FLAGS, argv: process.argv.slice(2), out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const { profile, by, top, from, to } = loaded.config;
  if (profile === "") {
    console.error("--profile is required (a .cpuprofile written under bench:mesh --cpu-prof-dir)");
    return 2;
  }
  const { busy, rows } = selfTimes(JSON.parse(readFileSync(profile, "utf8")) as Profile, by, from, to);
  console.log(`busy ${(busy / 1000).toFixed(0)} ms (self time, idle left out)`);
  for (const [key, us] of rows.slice(0, top)) console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}`);
  return 0;
}

if (process.argv[1] === new URL(import.meta.url).pathname) process.exitCode = main();
