/**
 * The V8 side of a service's memory, scraped from its /metrics (prom-client's default process
 * metrics): lets the soak tell a heap that grows and stays grown (a leak) from RSS that V8 or
 * the allocator simply has not handed back after a burst.
 */

/** One process's heap at one moment, in bytes (handles: sockets, timers and servers alive). */
export interface HeapSample {
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  readonly activeHandles: number;
}

/** `  router        pid 1234  metrics http://127.0.0.1:9102/metrics` of `kvmesh up`'s banner. */
const BANNER_LINE = /^\s+(\S+)\s+pid (\d+)\s+metrics (http:\/\/\S+\/metrics)\s*$/;

/** pid → metrics URL of every service `kvmesh up` announced in its banner. */
export function metricsUrls(lines: readonly string[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of lines) {
    const m = BANNER_LINE.exec(line);
    if (m) out.set(Number(m[2]), m[3]);
  }
  return out;
}

/** The value of the unlabelled sample whose name ends with `suffix` (services prefix their names). */
function gauge(text: string, suffix: string): number | undefined {
  const m = new RegExp(`^\\w*${suffix} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The heap figures of a Prometheus exposition; undefined when one of them is missing. */
export function parseHeap(text: string): HeapSample | undefined {
  const heapUsedBytes = gauge(text, "nodejs_heap_size_used_bytes");
  const heapTotalBytes = gauge(text, "nodejs_heap_size_total_bytes");
  const externalBytes = gauge(text, "nodejs_external_memory_bytes");
  const activeHandles = gauge(text, "nodejs_active_handles_total");
  if (heapUsedBytes === undefined || heapTotalBytes === undefined || externalBytes === undefined || activeHandles === undefined) return undefined;
  return { heapUsedBytes, heapTotalBytes, externalBytes, activeHandles };
}

/** Scrapes `url`; undefined when the service does not answer within `timeoutMs` (it is busy or gone). */
export async function scrapeHeap(url: string, timeoutMs = 5_000): Promise<HeapSample | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? parseHeap(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** `procs` with the heap of each one that has a metrics URL, scraped in parallel. */
export async function withHeap<P extends { readonly pid: number }>(procs: readonly P[], urls: ReadonlyMap<number, string>): Promise<(P & { heap?: HeapSample })[]> {
  return Promise.all(procs.map(async (p) => {
    const url = urls.get(p.pid);
    const heap = url === undefined ? undefined : await scrapeHeap(url);
    return heap === undefined ? p : { ...p, heap };
  }));
}
