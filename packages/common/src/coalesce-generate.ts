/**
 * Joining consecutive GenerateResponse messages of one stream (worker → router → preprocessor)
 * into one, for readers that coalesce what is already waiting (call-stream.ts). Tokens stay
 * exact: only contiguous messages of the same worker join, in order, each token and logprob
 * once; the later message's finish reason, usage and worker stamp win.
 */
import type { GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";

/** Logprobs either on every token of a message or on none: the two kinds never mix in one. */
function logprobKind(m: { tokenIds: readonly number[]; logprobs: readonly unknown[] }): "none" | "each" | "other" {
  if (m.tokenIds.length === 0) return m.logprobs.length === 0 ? "none" : "other";
  if (m.logprobs.length === 0) return "none";
  return m.logprobs.length === m.tokenIds.length ? "each" : "other";
}

/**
 * Whether two messages' logprobs may be concatenated: each has one per token or none, and a
 * message with tokens but no logprobs never joins one with them (the per-token pairing would shift).
 */
export function logprobsJoin(a: { tokenIds: readonly number[]; logprobs: readonly unknown[] }, b: { tokenIds: readonly number[]; logprobs: readonly unknown[] }): boolean {
  const ka = logprobKind(a);
  const kb = logprobKind(b);
  if (ka === "other" || kb === "other") return false;
  return ka === kb || a.tokenIds.length === 0 || b.tokenIds.length === 0;
}

/**
 * `a` followed by `b` as one message (`a` is reused), or undefined when they must stay apart:
 * `a` was the last, `b` does not start where `a` ends, or another worker produced `b` (after a
 * migration each message keeps naming its own worker).
 */
export function coalesceGenerate(a: GenerateResponse, b: GenerateResponse): GenerateResponse | undefined {
  if (a.finishReason !== undefined || b.index !== a.index + a.tokenIds.length || b.workerId !== a.workerId) return undefined;
  if (!logprobsJoin(a, b)) return undefined;
  for (const id of b.tokenIds) a.tokenIds.push(id);
  for (const lp of b.logprobs) a.logprobs.push(lp);
  a.finishReason = b.finishReason;
  a.usage = b.usage ?? a.usage;
  a.migrations = b.migrations;
  // The router stamps its routing record on a worker's first message and on the last: the later wins.
  if (b.routing !== undefined) a.routing = b.routing;
  // The first message of a worker's stream says what the prefix cache served.
  a.cachedTokens = a.cachedTokens ?? b.cachedTokens;
  return a;
}
