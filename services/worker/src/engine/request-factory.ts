/** Validates engine request parameters and builds the EngineRequest. */
import { ContextLengthError, InvalidArgumentError } from "#common/errors.js";
import { seedFromRequestId } from "../sampling/rng.js";
import { validateSampling, validateStop } from "../sampling/validate.js";
import type { EngineRequestParams } from "./engine-types.js";
import { EngineRequest } from "./request.js";

/** What validation needs to know about the engine. */
export interface RequestFactoryContext {
  readonly blockSize: number;
  readonly vocabSize: number;
  /** Longest sequence the engine runs. */
  readonly maxModelLen: number;
  /** Whether a request id is already in flight. */
  readonly inFlight: (requestId: string) => boolean;
  readonly arrival: number;
}

/**
 * The EngineRequest for `params`; throws InvalidArgumentError (bad field, duplicate id) or
 * ContextLengthError (input does not leave room for one token).
 */
export function createRequest(params: EngineRequestParams, ctx: RequestFactoryContext): EngineRequest {
  const { requestId, tokenIds } = params;
  if (requestId === "") throw new InvalidArgumentError("request_id must not be empty", { param: "request_id" });
  if (ctx.inFlight(requestId)) throw new InvalidArgumentError(`request_id ${requestId} is already in flight`, { param: "request_id" });
  if (tokenIds.length === 0) throw new InvalidArgumentError("token_ids must not be empty", { param: "token_ids" });
  for (const id of tokenIds) {
    if (!(Number.isInteger(id) && id >= 0 && id < ctx.vocabSize)) {
      throw new InvalidArgumentError(`token_ids must be in [0, ${ctx.vocabSize}), got ${id}`, { param: "token_ids" });
    }
  }
  const resumeFromIndex = params.resumeFromIndex ?? 0;
  if (!(Number.isInteger(resumeFromIndex) && resumeFromIndex >= 0 && resumeFromIndex < tokenIds.length)) {
    throw new InvalidArgumentError(`resume_from_index must be in [0, ${tokenIds.length}), got ${resumeFromIndex}`, { param: "resume_from_index" });
  }
  validateSampling(params.sampling, ctx.vocabSize);
  validateStop(params.stop, ctx.vocabSize);
  if (tokenIds.length >= ctx.maxModelLen) {
    throw new ContextLengthError(
      `input of ${tokenIds.length} tokens leaves no room to generate (this worker runs at most ${ctx.maxModelLen} tokens per sequence)`,
      { param: "token_ids" },
    );
  }
  const seed = params.sampling.seed ?? seedFromRequestId(requestId);
  return new EngineRequest(
    { requestId, tokenIds, sampling: params.sampling, stop: params.stop, seed, resumeFromIndex, arrival: ctx.arrival, echoTokenIds: params.echoTokenIds },
    ctx.blockSize,
  );
}
