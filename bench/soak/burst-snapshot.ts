/**
 * `soak --burst-snapshot <service>`: one heap snapshot of a service at its first burst's peak,
 * to see what a stream in flight costs it (issue 13). The service's RSS is watched every
 * second after the burst starts; once it reaches {@link PEAK_FACTOR} × its RSS before the
 * burst (or {@link WAIT_LIMIT_MS} has passed), the heap in use is scraped, then a snapshot is
 * taken, whose full GC leaves only the live heap: the two figures tell garbage from what the
 * streams hold. The snapshot pauses the service and doubles its memory for a while, so a run
 * with this flag judges nothing about RSS; read the file with heap-breakdown.ts.
 */
import { scrapeHeap } from "./heap-sampler.js";
import { heapSnapshot } from "./live-heap.js";
import { processTree, rssOf, sample } from "./proc-sampler.js";

/** RSS, relative to before the burst, at which the snapshot is taken. */
export const PEAK_FACTOR = 1.5;
/** Snapshot anyway after this long: the burst's peak has passed by then. */
export const WAIT_LIMIT_MS = 60_000;

/** What the snapshot found. */
export interface BurstSnapshot {
  readonly service: string;
  readonly pid: number;
  /** Seconds after the burst started. */
  readonly afterS: number;
  readonly rssBytes: number;
  /** Heap in use right before the snapshot (live and garbage). */
  readonly heapUsedBytes?: number;
  /** Heap in use right after the snapshot's full GC. */
  readonly liveBytes?: number;
  /** Requests the soak had in flight when it was taken. */
  readonly clientInFlight: number;
  readonly file: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Call as the first burst starts; resolves with the snapshot, or undefined when the service
 * is not running or did not write one.
 */
export async function snapshotAtPeak(options: {
  meshPid: number; service: string; urls: ReadonlyMap<number, string>; dir: string; inFlight: () => number;
  /** Overrides of {@link PEAK_FACTOR} and {@link WAIT_LIMIT_MS} (tests). */
  peakFactor?: number; waitLimitMs?: number;
}): Promise<BurstSnapshot | undefined> {
  const [peakFactor, waitLimitMs] = [options.peakFactor ?? PEAK_FACTOR, options.waitLimitMs ?? WAIT_LIMIT_MS];
  const proc = sample(processTree(options.meshPid)).find((p) => p.name === options.service);
  const url = proc && options.urls.get(proc.pid);
  if (!proc || !url) return undefined;
  const start = Date.now();
  let rss = proc.rssBytes;
  while (Date.now() - start < waitLimitMs && rss < peakFactor * proc.rssBytes) {
    await sleep(1_000);
    rss = rssOf(proc.pid) ?? 0;
  }
  const afterS = Math.round((Date.now() - start) / 100) / 10;
  const clientInFlight = options.inFlight();
  const heapUsedBytes = (await scrapeHeap(url, 10_000))?.heapUsedBytes;
  const snap = await heapSnapshot(proc.pid, url, options.dir);
  if (!snap) return undefined;
  return { service: options.service, pid: proc.pid, afterS, rssBytes: rss, heapUsedBytes, liveBytes: snap.liveBytes, clientInFlight, file: snap.file };
}

/** One line for the console. */
export function burstSnapshotLine(s: BurstSnapshot): string {
  const mib = (b: number | undefined): string => (b === undefined ? "?" : (b / 2 ** 20).toFixed(1));
  return `burst snapshot of ${s.service} (pid ${s.pid}) ${s.afterS} s into the burst, ${s.clientInFlight} requests in flight: ` +
    `RSS ${mib(s.rssBytes)} MiB, heap used ${mib(s.heapUsedBytes)} MiB, live after GC ${mib(s.liveBytes)} MiB; ` +
    `node --max-old-space-size=4096 dist/bench/soak/heap-breakdown.js --file ${s.file} --streams <calls in flight>`;
}
