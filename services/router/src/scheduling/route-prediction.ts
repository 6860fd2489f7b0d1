/**
 * The routing record's predictions (docs/routing-record.md): what the router expected of the
 * worker it chose, computed from the same terms the policy decided on, at decision time.
 */
import { cacheableBlockCount } from "#common/kv-hash.js";
import type { WorkerCostTerms } from "./cost.js";

/** What a decision predicts for its chosen worker. */
export interface RoutePrediction {
  /** Prompt tokens the index says the chosen worker has cached, capped as the worker caps them. */
  readonly cachedTokens: number;
  /** The longest cached prefix on any candidate by the index, in tokens, capped the same way. */
  readonly availableCachedTokens: number;
  /** Predicted time to first token on the chosen worker, ms; only policies that predict it (ttft). */
  readonly ttftMs?: number;
}

/**
 * Cached tokens a worker serves for `overlapBlocks` leading blocks of an `isl`-token prompt:
 * whole blocks, capped as the worker caps them (cacheableBlockCount).
 */
export function servableCachedTokens(overlapBlocks: number, isl: number, blockSize: number): number {
  if (isl <= 0 || blockSize <= 0) return 0;
  return Math.min(overlapBlocks, cacheableBlockCount(isl, blockSize)) * blockSize;
}

/**
 * The prediction of a decision: `chosen` indexes `workers`; `ttftSeconds` is the policy's
 * score of the chosen worker when that score is a predicted TTFT in seconds (else undefined).
 */
export function predictRoute(
  workers: readonly WorkerCostTerms[], chosen: number, isl: number, blockSize: number, bestOverlapBlocks: number, ttftSeconds?: number,
): RoutePrediction {
  const cachedTokens = servableCachedTokens(workers[chosen]?.overlapBlocks ?? 0, isl, blockSize);
  const availableCachedTokens = servableCachedTokens(bestOverlapBlocks, isl, blockSize);
  return ttftSeconds === undefined || !Number.isFinite(ttftSeconds)
    ? { cachedTokens, availableCachedTokens }
    : { cachedTokens, availableCachedTokens, ttftMs: ttftSeconds * 1000 };
}
