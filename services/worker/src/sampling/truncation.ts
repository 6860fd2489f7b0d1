/**
 * top-k and top-p (nucleus) truncation, as vLLM does it: top-k first, then top-p over what is
 * left; ties at the top-k threshold are all kept, and top-p always keeps the most likely token.
 */

/** Candidates with their probabilities, most likely first (ties to the lower id). */
export interface Candidates {
  readonly ids: number[];
  readonly probs: number[];
}

/** Softmax of `logits` sorted descending, truncated by topK (≤ 0: off) and topP (1: off). */
export function truncatedCandidates(logits: Float64Array, topK: number, topP: number): Candidates {
  let ids: number[] = [];
  for (let id = 0; id < logits.length; id++) if (logits[id] > -Infinity) ids.push(id);
  ids.sort((a, b) => logits[b] - logits[a] || a - b);
  if (topK > 0 && topK < ids.length) {
    const threshold = logits[ids[topK - 1]];
    let end = topK;
    while (end < ids.length && logits[ids[end]] === threshold) end++;
    ids = ids.slice(0, end);
  }
  let probs = softmaxOf(logits, ids);
  if (topP < 1) {
    let cumulative = 0;
    let end = 0;
    // Keep a token while the mass before it is still short of topP.
    while (end < ids.length && cumulative < topP) cumulative += probs[end++];
    ids = ids.slice(0, Math.max(1, end));
    probs = softmaxOf(logits, ids);
  }
  return { ids, probs };
}

function softmaxOf(logits: Float64Array, ids: readonly number[]): number[] {
  if (ids.length === 0) return [];
  const max = logits[ids[0]];
  const exps = ids.map((id) => Math.exp(logits[id] - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** The candidate that the uniform `u` in [0, 1) falls on (inverse CDF). */
export function pickCandidate(c: Candidates, u: number): number {
  let cumulative = 0;
  for (let i = 0; i < c.ids.length; i++) {
    cumulative += c.probs[i];
    if (u < cumulative) return c.ids[i];
  }
  return c.ids[c.ids.length - 1]; // rounding left u above the total
}
