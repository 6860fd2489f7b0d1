// Small statistics helpers of bench:router.

/** The q-quantile of an ascending array (nearest rank below); NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** An ascending copy. */
export function sortedCopy(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** "p50 / p99" of `xs` in ms, 3 decimals. */
export function p50p99(xs: readonly number[]): string {
  const s = sortedCopy(xs);
  return `${percentile(s, 0.5).toFixed(3)} / ${percentile(s, 0.99).toFixed(3)} ms`;
}
