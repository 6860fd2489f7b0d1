/**
 * The soak's verdicts and summary: status counts of the open loop and of the bursts, and
 * whether each process's RSS and open fds stayed flat. Windows scale with the duration: for
 * the 5-minute run "minute 2" is 60–120 s and "minutes 4–5" 180–300 s (D/5–2D/5 and 3D/5–D).
 * Open fds are compared at rest (no client connection open): during the run they follow the
 * connections in flight, so only what stays open once every client has gone is a leak.
 * A window's RSS max is taken over every sample in it: the 10 s ticks and, when given, the 1 s
 * RSS samples (rss-sampler.ts), which catch the peak of each burst instead of a random phase.
 */
import type { ProcSample } from "./proc-sampler.js";
import { maxRss, RSS_SAMPLE_EVERY_MS } from "./rss-sampler.js";
import type { RssSample } from "./rss-sampler.js";

/** Process samples at one moment. */
export interface Tick {
  readonly tS: number;
  readonly procs: readonly ProcSample[];
}

/** One process's flatness over the run. */
export interface Flatness {
  readonly pid: number;
  readonly name: string;
  readonly rssEarlyMaxMiB: number;
  readonly rssLateMaxMiB: number;
  readonly rssFlat: boolean;
  readonly fdsEarlyMax: number;
  readonly fdsLateMax: number;
  /** Open fds at rest after the warm-up and after the run (undefined: not sampled then). */
  readonly fdsRestBefore?: number;
  readonly fdsRestAfter?: number;
  /** No fd leaked: at rest after the run ≤ at rest before it + {@link FD_REST_SLACK}. */
  readonly fdsFlat: boolean;
  /** Largest V8 heap in use in each window (undefined: no scrape answered). */
  readonly heapEarlyMaxMiB?: number;
  readonly heapLateMaxMiB?: number;
}

/** Services whose live state does not grow with traffic (no KV cache, no index): their live heap is judged. */
export const STATELESS_SERVICES = new Set(["frontend", "preprocessor"]);
/** Live heap a stateless service may gain beyond 10%: JIT-compiled code and node's pool of 1,000 HTTP parsers (measured: 2–3 MiB). */
export const LIVE_HEAP_SLACK_BYTES = 4 * 2 ** 20;

/**
 * The live-heap verdict: [judged, flat] over the stateless services that have both samples; no
 * verdict (undefined) without snapshots. The worker's and router's live heaps grow with the KV
 * cache they mirror, up to --num-kv-blocks, so they are reported, not judged.
 */
export function liveHeapFlat(flat: readonly Flatness[], live: { before: Record<number, number>; after: Record<number, number> } | undefined): [number, number] | undefined {
  if (!live) return undefined;
  const judged = flat.filter((f) => STATELESS_SERVICES.has(f.name) && live.before[f.pid] !== undefined && live.after[f.pid] !== undefined);
  return [judged.length, judged.filter((f) => live.after[f.pid] <= RSS_GROWTH * live.before[f.pid] + LIVE_HEAP_SLACK_BYTES).length];
}

/** The two samples taken at rest. */
export interface RestTicks {
  readonly before: Tick;
  readonly after: Tick;
}

/** RSS may grow 10% from the early window to the late one. */
export const RSS_GROWTH = 1.1;
/** Sockets a process may hold open at rest beyond its count after the warm-up (a reconnecting channel). */
export const FD_REST_SLACK = 4;

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

const maxOf = (xs: readonly number[]): number | undefined => (xs.length === 0 ? undefined : Math.max(...xs));

/** The larger of two maxima, either possibly missing. */
const larger = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

/**
 * Flatness of every process seen in both windows; fds are judged at rest when `rest` is given,
 * RSS over the ticks and the 1 s `rssSamples` (when given) of each window.
 */
export function flatness(ticks: readonly Tick[], durationS: number, rest?: RestTicks, rssSamples: readonly RssSample[] = []): Flatness[] {
  const inWindow = (from: number, to: number) => ticks.filter((t) => t.tS >= from && t.tS <= to);
  const [earlyFrom, earlyTo, lateFrom] = [durationS / 5, (2 * durationS) / 5, (3 * durationS) / 5];
  const early = inWindow(earlyFrom, earlyTo);
  const late = inWindow(lateFrom, durationS);
  const pids = new Map<number, string>();
  for (const t of ticks) for (const p of t.procs) pids.set(p.pid, p.name);
  const out: Flatness[] = [];
  for (const [pid, name] of pids) {
    const of = (window: readonly Tick[]) => window.flatMap((t) => t.procs.filter((p) => p.pid === pid));
    const [e, l] = [of(early), of(late)];
    if (e.length === 0 || l.length === 0) continue;
    const rssE = larger(Math.max(...e.map((p) => p.rssBytes)), maxRss(rssSamples, pid, earlyFrom, earlyTo)) as number;
    const rssL = larger(Math.max(...l.map((p) => p.rssBytes)), maxRss(rssSamples, pid, lateFrom, durationS)) as number;
    const fdsRestBefore = rest?.before.procs.find((p) => p.pid === pid)?.fds;
    const fdsRestAfter = rest?.after.procs.find((p) => p.pid === pid)?.fds;
    const heapE = maxOf(e.flatMap((p) => (p.heap ? [p.heap.heapUsedBytes] : [])));
    const heapL = maxOf(l.flatMap((p) => (p.heap ? [p.heap.heapUsedBytes] : [])));
    out.push({
      pid, name, rssEarlyMaxMiB: mib(rssE), rssLateMaxMiB: mib(rssL), rssFlat: rssL <= RSS_GROWTH * rssE,
      fdsEarlyMax: Math.max(...e.map((p) => p.fds)), fdsLateMax: Math.max(...l.map((p) => p.fds)),
      fdsRestBefore, fdsRestAfter,
      fdsFlat: fdsRestBefore !== undefined && fdsRestAfter !== undefined && fdsRestAfter <= fdsRestBefore + FD_REST_SLACK,
      heapEarlyMaxMiB: heapE === undefined ? undefined : mib(heapE), heapLateMaxMiB: heapL === undefined ? undefined : mib(heapL),
    });
  }
  return out;
}

/** Share of `counts` answered exactly "200" (a clean stream). */
export function okShare(counts: Record<string, number>): number {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return total === 0 ? 0 : (counts["200"] ?? 0) / total;
}

/** Requests answered 500 (plain, or with an internal error mid-stream). */
export function count500(counts: Record<string, number>): number {
  return Object.entries(counts).filter(([k]) => k.startsWith("500") || k.includes("stream_error:server_error")).reduce((a, [, n]) => a + n, 0);
}

/** Burst answers that are neither a clean 200 nor a 503 with Retry-After. */
export function burstUnexpected(counts: Record<string, number>): number {
  return Object.entries(counts).filter(([k]) => k !== "200" && !k.startsWith("503+retry-after")).reduce((a, [, n]) => a + n, 0);
}

/** Live heap at rest (right after the full GC of a heap snapshot) before and after the run. */
function liveHeapLines(r: { flat: Flatness[]; liveHeap?: { before: Record<number, number>; after: Record<number, number> } }): string[] {
  const live = r.liveHeap;
  if (!live) return [];
  const cell = (bytes: number | undefined): string => (bytes === undefined ? "-" : String(mib(bytes)));
  return [
    "", "Live heap at rest, MiB (heap in use right after the full GC of a heap snapshot): a leak grows it; garbage",
    "not yet collected and a heap V8 enlarged after a burst (what moves RSS run to run) do not. The worker's and the",
    "router's grow while the KV cache fills (block pool, index), bounded by --num-kv-blocks.", "",
    "| pid | service | after warm-up | after the run |", "|---|---|---|---|",
    ...r.flat.filter((f) => live.before[f.pid] !== undefined || live.after[f.pid] !== undefined)
      .map((f) => `| ${f.pid} | ${f.name} | ${cell(live.before[f.pid])} | ${cell(live.after[f.pid])} |`),
  ];
}

/** The live-heap row of the checks table (none without snapshots). */
function liveVerdict(v: [number, number] | undefined): string[] {
  if (!v) return [];
  const [judged, flat] = v;
  return [`| live heap at rest after the run ≤ ${RSS_GROWTH} × after warm-up + ${LIVE_HEAP_SLACK_BYTES / 2 ** 20} MiB, frontend and preprocessor | ${flat}/${judged} | ${judged > 0 && flat === judged ? "PASS" : "FAIL"} |`];
}

/** A table of one figure of every process at every tick; `cell` also gets the previous tick's time. */
function curve(r: { flat: Flatness[]; ticks: readonly Tick[] }, title: string, cell: (p: ProcSample, sinceS: number, tS: number) => string | number): string[] {
  return [
    "", `${title}:`, "",
    "| t (s) | " + r.flat.map((f) => `${f.name} ${f.pid}`).join(" | ") + " |",
    "|---|" + r.flat.map(() => "---|").join(""),
    ...r.ticks.map((t, i) => `| ${t.tS} | ` + r.flat.map((f) => {
      const p = t.procs.find((q) => q.pid === f.pid);
      return p ? cell(p, i === 0 ? -Infinity : r.ticks[i - 1].tS, t.tS) : "-";
    }).join(" | ") + " |"),
  ];
}

/** The RSS curve: at each tick, the largest sample since the previous tick (1 s samples and the tick's own). */
function rssCurve(r: { flat: Flatness[]; ticks: readonly Tick[]; rssSamples?: readonly RssSample[] }): string[] {
  const samples = r.rssSamples ?? [];
  const title = samples.length > 0
    ? `RSS curve (MiB per process: at each tick, the largest RSS sampled every ${RSS_SAMPLE_EVERY_MS / 1000} s since the previous tick; results.json has every 1 s sample)`
    : "RSS curve (MiB per process, every sample)";
  return curve(r, title, (p, sinceS, tS) => {
    const peak = maxRss(samples, p.pid, sinceS, tS, true);
    return mib(peak === undefined ? p.rssBytes : Math.max(peak, p.rssBytes));
  });
}

/** The markdown summary. */
export function summaryMarkdown(r: {
  config: object; machine: { nproc: number; loadavgStart: number[]; loadavgEnd: number[] };
  steady: Record<string, number>; bursts: Record<string, number>; flat: Flatness[]; ticks: readonly Tick[];
  /** RSS sampled every second (the windows' maxima and the curve use them). */
  rssSamples?: readonly RssSample[];
  /** Live heap bytes by pid at rest (soak --heap-snapshots). */
  liveHeap?: { before: Record<number, number>; after: Record<number, number> };
}): string {
  const pass = (b: boolean): string => (b ? "PASS" : "FAIL");
  const lines = [
    "# kvmesh soak", "",
    `config: \`${JSON.stringify(r.config)}\``,
    `machine: nproc ${r.machine.nproc}, loadavg at start ${r.machine.loadavgStart.map((x) => x.toFixed(2)).join(" ")}, at end ${r.machine.loadavgEnd.map((x) => x.toFixed(2)).join(" ")}`, "",
    "| check | value | verdict |", "|---|---|---|",
    `| open loop answered 200 (≥ 99.9%) | ${(okShare(r.steady) * 100).toFixed(3)}% | ${pass(okShare(r.steady) >= 0.999)} |`,
    `| open loop answered 500 (0) | ${count500(r.steady)} | ${pass(count500(r.steady) === 0)} |`,
    `| bursts answered 500 (0) | ${count500(r.bursts)} | ${pass(count500(r.bursts) === 0)} |`,
    `| bursts: other than 200 / 503+Retry-After (0) | ${burstUnexpected(r.bursts)} | ${pass(burstUnexpected(r.bursts) === 0)} |`,
    `| RSS flat, every process (late max ≤ ${RSS_GROWTH} × early max${r.rssSamples?.length ? `, RSS sampled every ${RSS_SAMPLE_EVERY_MS / 1000} s` : ""}) | ${r.flat.filter((f) => f.rssFlat).length}/${r.flat.length} | ${pass(r.flat.length > 0 && r.flat.every((f) => f.rssFlat))} |`,
    `| open fds at rest after the run ≤ at rest after warm-up + ${FD_REST_SLACK}, every process | ${r.flat.filter((f) => f.fdsFlat).length}/${r.flat.length} | ${pass(r.flat.length > 0 && r.flat.every((f) => f.fdsFlat))} |`,
    ...liveVerdict(liveHeapFlat(r.flat, r.liveHeap)),
    "", `open loop: \`${JSON.stringify(r.steady)}\``, `bursts: \`${JSON.stringify(r.bursts)}\``, "",
    "| pid | service | RSS early max MiB | RSS late max MiB | heap used early max MiB | heap used late max MiB | fds early max | fds late max | fds at rest before | fds at rest after |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...r.flat.map((f) => `| ${f.pid} | ${f.name} | ${f.rssEarlyMaxMiB} | ${f.rssLateMaxMiB} | ${f.heapEarlyMaxMiB ?? "-"} | ${f.heapLateMaxMiB ?? "-"} | ${f.fdsEarlyMax} | ${f.fdsLateMax} | ${f.fdsRestBefore ?? "-"} | ${f.fdsRestAfter ?? "-"} |`),
    ...liveHeapLines(r),
    ...rssCurve(r),
    ...curve(r, "V8 heap curve (used / total MiB, external MiB; - where the scrape did not answer)", (p) =>
      p.heap ? `${mib(p.heap.heapUsedBytes)} / ${mib(p.heap.heapTotalBytes)}, ${mib(p.heap.externalBytes)}` : "-"),
  ];
  return lines.join("\n") + "\n";
}
