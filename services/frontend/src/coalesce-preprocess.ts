/**
 * Joining consecutive PreprocessResponse messages into one when the frontend reads them slower
 * than they come (call-stream.ts coalesces only what already arrived): one chunk, one SSE write
 * for several tokens. Text, token ids and logprobs are concatenated in order; messages with
 * tool-call pieces or reasoning text stay apart, so those chunks keep the shape the parsers gave.
 */
import { logprobsJoin } from "#common/coalesce-generate.js";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";

/** `a` followed by `b` as one message (`a` is reused), or undefined when they must stay apart. */
export function coalescePreprocess(a: PreprocessResponse, b: PreprocessResponse): PreprocessResponse | undefined {
  if (a.finishReason !== undefined || a.workerId !== b.workerId) return undefined;
  if (a.toolCalls.length > 0 || b.toolCalls.length > 0 || a.reasoningText !== undefined || b.reasoningText !== undefined) return undefined;
  if (!logprobsJoin(a, b)) return undefined;
  a.text += b.text;
  for (const id of b.tokenIds) a.tokenIds.push(id);
  for (const lp of b.logprobs) a.logprobs.push(lp);
  a.finishReason = b.finishReason;
  // Every message carries the running usage: the later one is the count so far.
  a.usage = b.usage ?? a.usage;
  a.migrations = b.migrations;
  a.stopString = b.stopString;
  // The latest routing record (a message without one keeps what the earlier carried).
  if (b.routing !== undefined) a.routing = b.routing;
  return a;
}
