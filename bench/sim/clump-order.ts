/**
 * The order of trace records that share a timestamp (`kvmesh sim --clump-order`). The Mooncake
 * conversation trace stamps its records at coarse instants (the first 2,000 at 224 distinct
 * ones, 3 s apart, up to 19 at once), so which of a clump's requests the router decides first
 * shapes the waits: a sensitivity check of any policy comparison, not a router mechanism.
 */
import type { TraceRecord } from "../workloads/trace-parser.js";

/** Orders within a clump: the trace's own, fewest input tokens first (short), or most first (long). */
export const CLUMP_ORDERS = ["trace", "short", "long"] as const;
/** One of {@link CLUMP_ORDERS}. */
export type ClumpOrder = (typeof CLUMP_ORDERS)[number];

/**
 * The records with each run of equal timestamps reordered by input length (ties keep the trace's
 * order); records are otherwise left where they are, so an unsorted trace stays as it is.
 */
export function orderClumps(records: readonly TraceRecord[], order: ClumpOrder): TraceRecord[] {
  if (order === "trace") return [...records];
  const sign = order === "short" ? 1 : -1;
  const out: TraceRecord[] = [];
  for (let i = 0; i < records.length; ) {
    let j = i + 1;
    while (j < records.length && records[j].timestamp === records[i].timestamp) j++;
    // Array.prototype.sort is stable: equal lengths keep their trace order.
    out.push(...records.slice(i, j).sort((a, b) => sign * (a.inputLength - b.inputLength)));
    i = j;
  }
  return out;
}
