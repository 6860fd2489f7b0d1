/** Order statistics of latency samples: the summary every report row is made of. */

/** count, mean, min/max and the percentiles a serving report quotes; all 0 when there are no samples. */
export interface Summary {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/**
 * The q-quantile (q in [0, 1]) of ascending `sorted` by linear interpolation between closest
 * ranks (numpy's default), so p50 of [1, 2, 3, 4] is 2.5. NaN for no samples.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The {@link Summary} of unsorted samples (the input is not modified). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { count: 0, mean: 0, min: 0, max: 0, p50: 0, p90: 0, p99: 0 };
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  let sum = 0;
  for (const v of arr) sum += v;
  return {
    count: arr.length,
    mean: sum / arr.length,
    min: arr[0],
    max: arr[arr.length - 1],
    p50: quantile(arr, 0.5),
    p90: quantile(arr, 0.9),
    p99: quantile(arr, 0.99),
  };
}
