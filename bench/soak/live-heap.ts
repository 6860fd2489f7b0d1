/**
 * The live heap of a service (what is in use right after a full garbage collection): the
 * figure that tells a leak from garbage not yet collected and from a heap V8 grew after a
 * burst. Nothing outside a process can make it collect, but a heap snapshot can: V8 runs a full
 * GC before it writes one. So with `soak --heap-snapshots DIR` the mesh runs with
 * `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR`; at rest the soak signals each service,
 * waits for the snapshot file, and scrapes the heap in use right after.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { scrapeHeap } from "./heap-sampler.js";

/** NODE_OPTIONS making every mesh process write a heap snapshot into `dir` on SIGUSR2. */
export function snapshotNodeOptions(dir: string): string {
  return `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Snapshot files of `pid` in `dir` (node names them Heap.<date>.<time>.<pid>.<tid>.<seq>.heapsnapshot). */
function snapshotsOf(dir: string, pid: number): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".heapsnapshot") && f.split(".")[3] === String(pid));
}

/**
 * Signals `pid` to write a heap snapshot, waits until the new file stops growing (the process
 * is done with it), and returns the heap in use scraped from `metricsUrl` right after; undefined
 * when no snapshot appeared within `timeoutMs`.
 */
export async function liveHeapBytes(pid: number, metricsUrl: string, dir: string, timeoutMs = 120_000): Promise<number | undefined> {
  return (await heapSnapshot(pid, metricsUrl, dir, timeoutMs))?.liveBytes;
}

/** As {@link liveHeapBytes}, with the snapshot's path (undefined live bytes: the scrape failed). */
export async function heapSnapshot(pid: number, metricsUrl: string, dir: string, timeoutMs = 120_000): Promise<{ file: string; liveBytes?: number } | undefined> {
  const before = new Set(snapshotsOf(dir, pid));
  process.kill(pid, "SIGUSR2");
  const deadline = Date.now() + timeoutMs;
  let size = -1;
  while (Date.now() < deadline) {
    await sleep(1_000);
    const file = snapshotsOf(dir, pid).find((f) => !before.has(f));
    if (file === undefined) continue;
    const now = statSync(join(dir, file)).size;
    if (now > 0 && now === size) return { file: join(dir, file), liveBytes: (await scrapeHeap(metricsUrl, 30_000))?.heapUsedBytes };
    size = now;
  }
  return undefined;
}

/** Live heap bytes of every service of `urls`, one at a time (a snapshot pauses its process). */
export async function liveHeaps(urls: ReadonlyMap<number, string>, dir: string): Promise<Record<number, number>> {
  const out: Record<number, number> = {};
  for (const [pid, url] of urls) {
    const bytes = await liveHeapBytes(pid, url, dir);
    if (bytes !== undefined) out[pid] = bytes;
  }
  return out;
}
