/**
 * The token-side inputs of one batched decoder call. Rows are left-padded twice: each row's
 * past sits at the end of the P past slots, and its new tokens at the end of the S new
 * slots, so every row's last real token is at new index S − 1 (where its logits are read).
 */
import type { RunnerRow } from "./model-runner.js";

/** Dense int64 inputs plus the padding geometry the K/V copies need. */
export interface BatchInputs {
  /** Past length: the most computed tokens of any row. */
  readonly pastLength: number;
  /** New length: the most new tokens of any row. */
  readonly newLength: number;
  /** [batch, newLength] */
  readonly inputIds: BigInt64Array;
  /** [batch, pastLength + newLength], 1 on real past and real new tokens. */
  readonly attentionMask: BigInt64Array;
  /** [batch, newLength], numComputedTokens + j for real tokens; 1 on padding, as transformers does. */
  readonly positionIds: BigInt64Array;
}

/** Builds the padded token, mask and position inputs. Throws on a row without new tokens. */
export function buildBatchInputs(rows: readonly RunnerRow[]): BatchInputs {
  let pastLength = 0;
  let newLength = 0;
  for (const row of rows) {
    if (row.newTokenIds.length === 0) throw new RangeError("a runner row must carry at least one new token");
    pastLength = Math.max(pastLength, row.numComputedTokens);
    newLength = Math.max(newLength, row.newTokenIds.length);
  }
  const total = pastLength + newLength;
  const inputIds = new BigInt64Array(rows.length * newLength);
  const attentionMask = new BigInt64Array(rows.length * total);
  const positionIds = new BigInt64Array(rows.length * newLength).fill(1n);
  rows.forEach((row, b) => {
    const n = row.newTokenIds.length;
    attentionMask.fill(1n, b * total + pastLength - row.numComputedTokens, b * total + pastLength);
    attentionMask.fill(1n, b * total + total - n, (b + 1) * total);
    const first = b * newLength + newLength - n;
    for (let j = 0; j < n; j++) {
      inputIds[first + j] = BigInt(row.newTokenIds[j]);
      positionIds[first + j] = BigInt(row.numComputedTokens + j);
    }
  });
  return { pastLength, newLength, inputIds, attentionMask, positionIds };
}
