/**
 * Per-worker load spread of a run, for the router-replica comparison: at each request's
 * arrival, the busiest worker's requests in flight ÷ the mean over all workers (1 = even;
 * an idle fleet counts as even), averaged over arrivals. A herd — replicas piling onto the
 * same warm worker because each sees only its own decisions — raises it.
 */
import type { RequestRecord } from "../stats/record.js";

/** The time-averaged max ÷ mean requests in flight per worker, sampled at every arrival. */
export function inFlightSpread(records: readonly RequestRecord[], workerIds: readonly string[]): number {
  const served = records.filter((r) => r.workerId !== undefined && r.error === undefined);
  if (served.length === 0 || workerIds.length === 0) return 1;
  const slot = new Map(workerIds.map((id, i) => [id, i]));
  let total = 0;
  for (const at of served.map((r) => r.startMs)) {
    const counts = new Array<number>(workerIds.length).fill(0);
    for (const r of served) {
      if (r.startMs <= at && r.startMs + r.e2eMs > at) counts[slot.get(r.workerId!) ?? 0]++;
    }
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    total += mean === 0 ? 1 : Math.max(...counts) / mean;
  }
  return total / served.length;
}
