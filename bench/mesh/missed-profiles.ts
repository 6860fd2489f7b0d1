// bench:mesh's "what is left": a row whose target was missed is run once more on a fresh mesh
// whose three hops run under `node --cpu-prof`, and each hop's self time within that row's
// window is summed per category (profile-summary.ts). The profiler costs CPU of its own, so
// these runs give shares of where the time goes, not numbers to compare with the targets.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { selfTimes } from "./profile-summary.js";
import type { Profile } from "./profile-summary.js";

/** One hop's profile within the row's window. */
export interface HopProfile {
  readonly busyMs: number;
  /** [category, share of busy time] for the largest categories. */
  readonly top: ReadonlyArray<readonly [string, number]>;
}

/** A missed row's profile, per hop (absent: the hop wrote no profile). */
export interface RowProfile {
  readonly row: string;
  readonly hops: Partial<Record<"frontend" | "preprocessor" | "router", HopProfile>>;
}

/** What runs a row on a mesh whose hops are profiled: returns the hops' pids once the mesh stopped. */
export type ProfiledRun = (cpuProfDir: string, mark: { from: number; to: number }) => Promise<Record<"frontend" | "preprocessor" | "router", number>>;

/** The monotonic clock the profiler stamps samples with, in µs. */
export function profilerNowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Runs `run` with profiled hops and sums each hop's self time per category within its window. */
export async function profileRow(row: string, run: ProfiledRun, topCount = 8): Promise<RowProfile> {
  const dir = mkdtempSync(join(tmpdir(), "kvmesh-mesh-prof-"));
  try {
    const window = { from: 0, to: 0 };
    const pids = await run(dir, window);
    const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
    const hops: RowProfile["hops"] = {};
    for (const [hop, pid] of Object.entries(pids) as Array<[keyof typeof pids, number]>) {
      // node names them CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile
      const file = files.find((f) => f.split(".")[3] === String(pid));
      if (file === undefined) continue;
      const { busy, rows } = selfTimes(JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile, "category", window.from, window.to);
      hops[hop] = { busyMs: busy / 1000, top: rows.slice(0, topCount).map(([k, us]) => [k, busy > 0 ? us / busy : 0] as const) };
    }
    return { row, hops };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Markdown lines for the report. */
export function renderRowProfiles(profiles: readonly RowProfile[]): string[] {
  if (profiles.length === 0) return [];
  const lines = ["", "## What is left: profiles of the missed rows", "",
    "Each missed row run once more with frontend, preprocessor and router under `node --cpu-prof` (the profiler's own cost inflates these times): each hop's busy time in that row's window and its largest categories (self time; `(program)` is native code outside JavaScript: syscalls, libuv, nghttp2)."];
  for (const p of profiles) {
    lines.push("", `### ${p.row}`, "| hop | busy ms | largest categories (share of busy) |", "|---|---|---|");
    for (const hop of ["frontend", "preprocessor", "router"] as const) {
      const h = p.hops[hop];
      lines.push(h === undefined ? `| ${hop} | — | no profile written |` : `| ${hop} | ${h.busyMs.toFixed(0)} | ${h.top.map(([k, share]) => `${k} ${(100 * share).toFixed(1)}%`).join(", ")} |`);
    }
  }
  return lines;
}
