/** GenerateRequest (proto shape) → EngineRequestParams, with engine defaults for unset fields. */
import type { GenerateRequest } from "#contracts/gen/kvmesh/v1/common.js";
import { DEFAULT_SAMPLING } from "../sampling/sampling-params.js";
import type { EngineRequestParams } from "./engine-types.js";

/** Maps the wire request onto engine parameters; ranges are checked by EngineCore.addRequest. */
export function engineParamsFromProto(req: GenerateRequest): EngineRequestParams {
  const s = req.sampling;
  const d = DEFAULT_SAMPLING;
  return {
    requestId: req.requestId,
    tokenIds: req.tokenIds,
    sampling: {
      temperature: s?.temperature ?? d.temperature,
      topP: s?.topP ?? d.topP,
      topK: s?.topK ?? d.topK,
      seed: s?.seed ?? d.seed,
      presencePenalty: s?.presencePenalty ?? d.presencePenalty,
      frequencyPenalty: s?.frequencyPenalty ?? d.frequencyPenalty,
      repetitionPenalty: s?.repetitionPenalty ?? d.repetitionPenalty,
      topLogprobs: s?.topLogprobs ?? d.topLogprobs,
      // Map keys arrive as strings (ts-proto keeps them on a plain object).
      logitBias: s?.logitBias ? Object.entries(s.logitBias.bias).map(([id, bias]) => [Number(id), bias] as const) : d.logitBias,
    },
    stop: {
      maxTokens: req.stop?.maxTokens,
      minTokens: req.stop?.minTokens ?? 0,
      stopTokenIds: req.stop?.stopTokenIds ?? [],
      ignoreEos: req.stop?.ignoreEos ?? false,
    },
    resumeFromIndex: req.resumeFromIndex,
    echoTokenIds: req.echo?.tokenIds,
  };
}
