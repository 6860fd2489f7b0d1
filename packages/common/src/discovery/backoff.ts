/** Exponential backoff settings for retrying a failed discovery request. */
export interface BackoffOptions {
  /** Delay cap before jitter for the first retry (attempt 0). */
  baseMs: number;
  /** Largest delay ever returned. */
  maxMs: number;
  /** Uniform [0, 1) source; injected so tests are deterministic. */
  random: () => number;
}

/**
 * "Equal jitter" backoff: a uniform delay in [cap/2, cap) with cap = min(max, base × 2^attempt).
 * The jitter keeps many watchers from hammering a recovering Consul agent in lockstep; the
 * lower half keeps a retry from ever being immediate.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(cap / 2 + options.random() * (cap / 2));
}
