/** Logit penalties, applied in vLLM's order: repetition, then frequency, then presence. */

/**
 * HF repetition penalty over every token seen (prompt and output): a positive logit is divided
 * by `penalty`, a negative one multiplied, so the token becomes less likely either way.
 */
export function applyRepetitionPenalty(logits: Float64Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(seen)) {
    const v = logits[id];
    logits[id] = v > 0 ? v / penalty : v * penalty;
  }
}

/**
 * OpenAI penalties over output tokens only: logit -= count × frequency + (count > 0) × presence.
 */
export function applyOpenAiPenalties(logits: Float64Array, outputs: Iterable<number>, frequency: number, presence: number): void {
  if (frequency === 0 && presence === 0) return;
  const counts = new Map<number, number>();
  for (const id of outputs) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, count] of counts) logits[id] -= count * frequency + presence;
}

/** Sets the logits of `ids` to −∞ (min_tokens keeps eos and stop ids out of reach). */
export function maskTokens(logits: Float64Array, ids: Iterable<number>): void {
  for (const id of ids) if (id >= 0 && id < logits.length) logits[id] = -Infinity;
}
