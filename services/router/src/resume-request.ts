import { Code } from "#common/errors.js";
import type { GenerateRequest, GenerateResponse, Usage } from "#contracts/gen/kvmesh/v1/common.js";

/**
 * The request that continues a generation on another worker (ARCHITECTURE.md, Migration):
 * the prompt plus every token generated so far, output indexes resuming after them, the
 * remaining max_tokens / min_tokens, and the same sampling (seed included).
 */
export function resumeRequest(original: GenerateRequest, generated: readonly number[]): GenerateRequest {
  // block_hashes are the router's: the worker hashes its blocks itself and ignores them.
  if (generated.length === 0) return { ...original, workerId: undefined, blockHashes: undefined };
  const stop = original.stop ?? { stopTokenIds: [], ignoreEos: false };
  return {
    ...original,
    tokenIds: [...original.tokenIds, ...generated],
    resumeFromIndex: (original.resumeFromIndex ?? 0) + generated.length,
    stop: {
      ...stop,
      maxTokens: stop.maxTokens === undefined ? undefined : Math.max(0, stop.maxTokens - generated.length),
      minTokens: stop.minTokens === undefined ? undefined : Math.max(0, stop.minTokens - generated.length),
    },
    workerId: undefined,
    blockHashes: undefined,
  };
}

/** Tokens still allowed (Infinity without max_tokens). */
export function remainingTokens(original: GenerateRequest, generated: number): number {
  const max = original.stop?.maxTokens;
  return max === undefined ? Infinity : max - generated;
}

/**
 * Usage of a migrated stream as the caller asked for it: its own prompt, every token generated
 * on any worker; cached tokens as the last worker found them, capped at the caller's prompt.
 */
export function migratedUsage(original: GenerateRequest, generated: number, last: Usage | undefined): Usage {
  const prompt = original.tokenIds.length;
  return { promptTokens: prompt, completionTokens: generated, cachedTokens: Math.min(last?.cachedTokens ?? 0, prompt) };
}

/** The gRPC code of a failure, when it has one. */
export function codeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}

/**
 * Whether a failed worker stream is the worker's loss rather than an answer about the request:
 * the process went away, the connection broke, or the stream ended without a finish reason.
 */
export function isBrokenStream(err: unknown): boolean {
  if (err instanceof StreamEndedError) return true;
  const code = codeOf(err);
  return code === Code.UNAVAILABLE || code === Code.UNKNOWN || code === Code.INTERNAL || code === Code.CANCELLED
    || code === Code.ABORTED || code === Code.DATA_LOSS;
}

/** A worker stream that ended cleanly but without a finish reason: treated as broken. */
export class StreamEndedError extends Error {
  readonly code = Code.UNAVAILABLE;
  constructor(workerId: string) {
    super(`worker ${workerId} ended the stream without a finish reason`);
  }
}

/**
 * A response re-stamped for the caller: contiguous index, the serving worker. `msg` is changed
 * in place (each decoded message has one reader): a copy per token cost an allocation and gave
 * the encoder objects of a second shape.
 */
export function stamp(msg: GenerateResponse, index: number, workerId: string, migrations: number): GenerateResponse {
  msg.index = index;
  msg.workerId = workerId;
  msg.migrations = msg.finishReason === undefined ? 0 : migrations;
  return msg;
}
