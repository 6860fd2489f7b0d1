/**
 * `token-load` (llm-d's default since 2026, "sticky until saturated"): keep the workers whose
 * cached fraction of the prompt is ≥ 0.8 (all workers if none); add back a worker that is not
 * warm when its uncached tokens in flight are lower than the best warm worker's by at least
 * τ = peak prefill throughput × 14 s; score = uncached tokens in flight + prompt tokens ×
 * (1 − cached fraction), lowest wins. In-flight tokens are released at the first token
 * (ActiveSequences.markFirstToken).
 */
import { cachedTokens, lowestScore } from "./policy.js";
import type { RoutingPolicy } from "./policy.js";
import type { SelectionInput } from "./selector.js";

/** A worker counts as warm from this cached fraction of the prompt on. */
export const WARM_FRACTION = 0.8;
/** τ in seconds of peak prefill: how much more queued prefill a warm worker may carry. */
export const STICKY_SECONDS = 14;
/**
 * The mocker's peak prefill throughput at its defaults: one full 2,048-token chunk in
 * 4.209989e-7·2048² + 0.01518344·2048 + 16.50142 = 49.363 ms → 41,489 tokens/s.
 */
export const DEFAULT_PEAK_PREFILL_TOKENS_PER_S = 41_489;

/** Each candidate's cached fraction of the prompt (by the index), in [0, 1]. */
export function cachedFractions(input: SelectionInput): number[] {
  return input.candidates.map((_c, i) => (input.isl === 0 ? 0 : cachedTokens(input, i) / input.isl));
}

/** The token-load score of every candidate (lower is better). */
export function tokenLoadScores(input: SelectionInput): number[] {
  return cachedFractions(input).map((f, i) => input.candidates[i].activePrefillTokens + input.isl * (1 - f));
}

/** The candidates token-load chooses among: warm ones, plus cold ones τ lighter than the best warm one. */
export function tokenLoadPool(input: SelectionInput, free: readonly number[], tau: number): number[] {
  const fractions = cachedFractions(input);
  const warm = free.filter((i) => fractions[i] >= WARM_FRACTION);
  if (warm.length === 0) return [...free];
  const bestWarm = Math.min(...warm.map((i) => input.candidates[i].activePrefillTokens));
  return free.filter((i) => fractions[i] >= WARM_FRACTION || bestWarm - input.candidates[i].activePrefillTokens >= tau);
}

/** The `token-load` policy; τ = peak × `stickySeconds` (llm-d's 14 s by default). */
export function createTokenLoad(peakPrefillTokensPerS = DEFAULT_PEAK_PREFILL_TOKENS_PER_S, stickySeconds = STICKY_SECONDS): RoutingPolicy {
  if (!(peakPrefillTokensPerS > 0)) throw new RangeError(`peak prefill throughput must be > 0 tokens/s, got ${peakPrefillTokensPerS}`);
  if (!(stickySeconds >= 0)) throw new RangeError(`token-load's sticky seconds must be >= 0, got ${stickySeconds}`);
  const tau = peakPrefillTokensPerS * stickySeconds;
  return {
    score: tokenLoadScores,
    pick: (input, free, terms) => lowestScore(input, tokenLoadPool(input, free, tau), terms.map((t) => t.cost)),
  };
}
