/** Log-softmax and the top alternatives of a distribution. */
import type { TokenLogprob } from "#contracts/gen/kvmesh/v1/common.js";

/** log softmax(logits), numerically stable; −∞ logits stay −∞. */
export function logSoftmax(logits: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - logZ;
  return out;
}

/** Token ids ordered by descending value, ties to the lower id; only the first `k` are sorted out. */
export function topIds(values: Float64Array, k: number): number[] {
  const ids: number[] = [];
  // Insertion into a bounded sorted list: k ≤ 20 for logprobs, so this beats a full sort.
  for (let id = 0; id < values.length; id++) {
    const v = values[id];
    if (ids.length === k && !(v > values[ids[k - 1]])) continue;
    let pos = ids.length < k ? ids.length : k - 1;
    while (pos > 0 && v > values[ids[pos - 1]]) pos--;
    ids.splice(pos, 0, id);
    if (ids.length > k) ids.pop();
  }
  return ids;
}

/** The chosen token's logprob and the `top` most likely alternatives under `logprobs`. */
export function tokenLogprob(logprobs: Float64Array, chosen: number, top: number): TokenLogprob {
  return {
    tokenId: chosen,
    logprob: logprobs[chosen],
    top: top > 0 ? topIds(logprobs, top).map((tokenId) => ({ tokenId, logprob: logprobs[tokenId] })) : [],
  };
}
