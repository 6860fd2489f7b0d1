/**
 * When `kvmesh up` restarts a service that exited unexpectedly: exponential backoff (0.5 s,
 * doubling, capped at 10 s), back to the first step once the service had run stably for 30 s.
 * Pure (times are passed in) so the boundaries are unit-tested without processes.
 */

/** The policy's knobs (milliseconds). */
export interface BackoffOptions {
  /** Delay before the first restart. */
  readonly initialMs: number;
  /** Largest delay. */
  readonly maxMs: number;
  /** A run at least this long counts as stable: the next crash restarts after `initialMs` again. */
  readonly stableMs: number;
}

/** The defaults `kvmesh up` uses. */
export const UP_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, stableMs: 30_000 };

/** The restart delays of one service. */
export class RestartBackoff {
  /** Crashes since the last stable run. */
  private failures = 0;

  constructor(private readonly options: BackoffOptions = UP_BACKOFF) {
    if (!(options.initialMs > 0 && options.maxMs >= options.initialMs && options.stableMs > 0)) {
      throw new RangeError(`bad backoff options ${JSON.stringify(options)}`);
    }
  }

  /** The service exited after running `ranMs`: how long to wait before starting it again. */
  nextDelayMs(ranMs: number): number {
    if (ranMs >= this.options.stableMs) this.failures = 0;
    // Cap the exponent too: 2 ** 1100 is Infinity, and a long crash loop must not overflow.
    const exponent = Math.min(this.failures, 52);
    this.failures++;
    return Math.min(this.options.maxMs, this.options.initialMs * 2 ** exponent);
  }

  /** Crashes counted since the last stable run (for the log). */
  get consecutiveFailures(): number {
    return this.failures;
  }
}
