/**
 * The reuse shortfall (available − delivered) split by cause (docs/routing-record.md), per
 * request in tokens, from the routing record. With, for one request:
 * - A: available — the yardstick: `kvmesh bench`, the workload's own reuse (the longest prefix
 *   an earlier request sent, available-reuse.ts); `kvmesh sim`, the longest prefix any worker's
 *   cache held when it was routed;
 * - B: the longest prefix the router's index saw cached on any worker at decision time;
 * - P: what the index saw cached on the chosen worker (predicted);
 * - D: what the chosen worker delivered;
 * the parts are
 * - index = max(0, P − D): predicted on the chosen worker but not delivered (evicted between
 *   routing and prefill, or the index was stale);
 * - routing = max(0, B − max(P, D)): cached on another worker, not on the chosen one;
 * - capacity = A − max(B, D): reuse cached nowhere when the request was routed (evicted for
 *   room, or its prefix was still being computed), the rest of the shortfall;
 * so that D + index + routing + capacity = A exactly. Capacity is negative only when a worker
 * delivered more than the yardstick counts (in the simulator: a request sharing the prefix
 * computed it after this one was routed and before its prefill).
 */
import type { RequestRecord } from "./record.js";

/** One request's reuse, in tokens (all capped as the worker caps cached tokens). */
export interface ReuseAccount {
  /** A: the yardstick's available reuse. */
  readonly available: number;
  /** B: the longest prefix cached on any worker by the router's index. */
  readonly indexAvailable: number;
  /** P: predicted cached on the chosen worker. */
  readonly predicted: number;
  /** D: delivered. */
  readonly delivered: number;
}

/** The shortfall's parts, tokens. */
export interface ShortfallParts {
  readonly routing: number;
  readonly index: number;
  readonly capacity: number;
}

/** Totals over a run's successful requests, tokens. */
export interface ShortfallTotals extends ShortfallParts {
  readonly available: number;
  readonly delivered: number;
  readonly promptTokens: number;
}

/** The parts of one request's shortfall (see the file comment); they sum to available − delivered. */
export function splitShortfall(a: ReuseAccount): ShortfallParts {
  const index = Math.max(0, a.predicted - a.delivered);
  const routing = Math.max(0, a.indexAvailable - Math.max(a.predicted, a.delivered));
  return { routing, index, capacity: a.available - Math.max(a.indexAvailable, a.delivered) };
}

/**
 * Summed over the successful records; undefined when none, or when any lacks its routing record
 * or available reuse (a server without the record: the split cannot be made).
 */
export function totalShortfall(records: readonly RequestRecord[]): ShortfallTotals | undefined {
  const ok = records.filter((r) => r.error === undefined);
  if (ok.length === 0) return undefined;
  const totals = { routing: 0, index: 0, capacity: 0, available: 0, delivered: 0, promptTokens: 0 };
  for (const r of ok) {
    if (r.availableTokens === undefined || r.predictedCachedTokens === undefined || r.indexAvailableTokens === undefined) return undefined;
    const parts = splitShortfall({ available: r.availableTokens, indexAvailable: r.indexAvailableTokens, predicted: r.predictedCachedTokens, delivered: r.cachedTokens });
    totals.routing += parts.routing;
    totals.index += parts.index;
    totals.capacity += parts.capacity;
    totals.available += r.availableTokens;
    totals.delivered += r.cachedTokens;
    totals.promptTokens += r.promptTokens;
  }
  return totals;
}

/**
 * Mean absolute percentage error of the routing record's predicted TTFT against the TTFT
 * measured for the same request (1 = 100%), over successful requests that carry a prediction;
 * undefined without any (a mode that does not predict TTFT). The bench measures at the client,
 * so its figure also holds the frontend's and preprocessor's time; the simulator's is the
 * router's own view.
 */
export function ttftPredictionMape(records: readonly RequestRecord[]): { mape: number; requests: number } | undefined {
  let sum = 0;
  let n = 0;
  for (const r of records) {
    if (r.error !== undefined || r.predictedTtftMs === undefined || r.ttftMs === undefined || !(r.ttftMs > 0)) continue;
    sum += Math.abs(r.predictedTtftMs - r.ttftMs) / r.ttftMs;
    n++;
  }
  return n === 0 ? undefined : { mape: sum / n, requests: n };
}
