/**
 * Steady-state decode shortcut. When every row of a step had the same number of new tokens,
 * each row's real tokens in `present` are contiguous and end at the last index, with only the
 * zero left padding the past already had: exactly the dense past a gather from the blocks
 * would build for the next step. If the next step carries the same sequences in the same
 * order, `present` is fed back as `past` and the gather is skipped (the blocks are still
 * written, so any other batch shape falls back to gathering).
 */
import type { RunnerRow } from "./model-runner.js";

/** What one step leaves for the next. */
export interface PastCarry<T> {
  /** Per row: tokens computed after the step, and the blocks that hold them. */
  readonly rows: readonly { readonly computed: number; readonly blockIds: readonly number[] }[];
  /** present.N.key/value of the step, renamed to past_key_values.N.key/value. */
  readonly past: Readonly<Record<string, T>>;
}

/**
 * The carry a step leaves, or null when its rows' new lengths differ (their present would
 * hold padding between past and new tokens).
 */
export function carryAfterStep<T>(rows: readonly RunnerRow[], blockSize: number, presents: Record<string, T>): PastCarry<T> | null {
  const newLength = rows[0]?.newTokenIds.length;
  if (newLength === undefined || rows.some((row) => row.newTokenIds.length !== newLength)) return null;
  const past: Record<string, T> = {};
  for (const [name, tensor] of Object.entries(presents)) past[name.replace(/^present\./, "past_key_values.")] = tensor;
  return {
    rows: rows.map((row) => {
      const computed = row.numComputedTokens + newLength;
      return { computed, blockIds: row.blockIds.slice(0, Math.ceil(computed / blockSize)) };
    }),
    past,
  };
}

/** Whether `rows` continue exactly the sequences of the carry, in order. */
export function carryFits<T>(carry: PastCarry<T> | null, rows: readonly RunnerRow[]): carry is PastCarry<T> {
  if (carry === null || carry.rows.length !== rows.length) return false;
  return rows.every((row, b) => {
    const prev = carry.rows[b];
    return row.numComputedTokens === prev.computed && prev.blockIds.every((block, i) => row.blockIds[i] === block);
  });
}
