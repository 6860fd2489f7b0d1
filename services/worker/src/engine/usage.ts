/** Token accounting of a request, from the original request's point of view. */
import type { Usage } from "#contracts/gen/kvmesh/v1/common.js";
import type { EngineRequest } from "./request.js";

/**
 * promptTokens excludes resumed output tokens and completionTokens includes them, so the last
 * worker of a migrated stream reports the whole request. cachedTokens: input tokens served from
 * the prefix cache at first scheduling, capped at promptTokens.
 */
export function usageOf(request: EngineRequest): Usage {
  const promptTokens = request.numInputTokens - request.resumeFromIndex;
  return {
    promptTokens,
    completionTokens: request.resumeFromIndex + request.numNewOutputs,
    cachedTokens: Math.min(Math.max(0, request.numCachedTokens), promptTokens),
  };
}
