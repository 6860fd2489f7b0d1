/** Stop conditions, checked after each appended token (vLLM's check_stop order). */
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { EngineRequest } from "./request.js";

/**
 * Why the request must stop after its last token, or undefined. Length limits come first
 * (max_tokens, context); eos ids (unless ignore_eos) and stop ids only once min_tokens is met.
 * The stopping token itself is part of the output.
 */
export function checkStop(request: EngineRequest, eosTokenIds: readonly number[], maxModelLen: number): FinishReason | undefined {
  const produced = request.numNewOutputs;
  const { maxTokens, minTokens, stopTokenIds, ignoreEos } = request.stop;
  if (request.numTokens >= maxModelLen || (maxTokens !== undefined && produced >= maxTokens)) {
    return FinishReason.FINISH_REASON_LENGTH;
  }
  if (produced < minTokens) return undefined;
  const last = request.allTokenIds[request.numTokens - 1];
  if (!ignoreEos && eosTokenIds.includes(last)) return FinishReason.FINISH_REASON_STOP;
  if (stopTokenIds.includes(last)) return FinishReason.FINISH_REASON_STOP;
  return undefined;
}

/** Ids to mask while min_tokens is not reached: stop ids, and eos ids unless ignore_eos. */
export function maskedIdsFor(request: EngineRequest, eosTokenIds: readonly number[]): readonly number[] {
  if (request.numNewOutputs >= request.stop.minTokens) return [];
  return request.stop.ignoreEos ? request.stop.stopTokenIds : [...eosTokenIds, ...request.stop.stopTokenIds];
}
