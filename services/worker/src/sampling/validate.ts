/** Range checks of sampling and stop parameters; each failure names the field at fault. */
import { InvalidArgumentError } from "#common/errors.js";
import { MAX_TOP_LOGPROBS } from "./sampling-params.js";
import type { SamplingOptions, StopOptions } from "./sampling-params.js";

function fail(param: string, message: string): never {
  throw new InvalidArgumentError(`${param} ${message}`, { param });
}

function checkRange(param: string, value: number, lo: number, hi: number): void {
  if (!(Number.isFinite(value) && value >= lo && value <= hi)) fail(param, `must be in [${lo}, ${hi}], got ${value}`);
}

/** Throws InvalidArgumentError when a sampling parameter is out of range (logit_bias ids against vocabSize). */
export function validateSampling(s: SamplingOptions, vocabSize: number): void {
  if (!(Number.isFinite(s.temperature) && s.temperature >= 0)) fail("temperature", `must be >= 0, got ${s.temperature}`);
  if (!(Number.isFinite(s.topP) && s.topP > 0 && s.topP <= 1)) fail("top_p", `must be in (0, 1], got ${s.topP}`);
  if (!(Number.isInteger(s.topK) && s.topK >= -1)) fail("top_k", `must be an integer >= -1 (0 or -1 disables), got ${s.topK}`);
  checkRange("presence_penalty", s.presencePenalty, -2, 2);
  checkRange("frequency_penalty", s.frequencyPenalty, -2, 2);
  if (!(Number.isFinite(s.repetitionPenalty) && s.repetitionPenalty > 0)) {
    fail("repetition_penalty", `must be > 0, got ${s.repetitionPenalty}`);
  }
  if (s.topLogprobs !== undefined && !(Number.isInteger(s.topLogprobs) && s.topLogprobs >= 0 && s.topLogprobs <= MAX_TOP_LOGPROBS)) {
    fail("top_logprobs", `must be an integer in [0, ${MAX_TOP_LOGPROBS}], got ${s.topLogprobs}`);
  }
  for (const [id, bias] of s.logitBias) {
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) fail("logit_bias", `keys must be token ids in [0, ${vocabSize}), got ${id}`);
    checkRange("logit_bias", bias, -100, 100);
  }
  if (s.seed !== undefined && (s.seed < 0n || s.seed >= 1n << 64n)) fail("seed", `must fit in an unsigned 64-bit integer, got ${s.seed}`);
}

/** Throws InvalidArgumentError when a stop condition is out of range (token ids against vocabSize). */
export function validateStop(s: StopOptions, vocabSize: number): void {
  if (s.maxTokens !== undefined && !(Number.isInteger(s.maxTokens) && s.maxTokens >= 1)) {
    fail("max_tokens", `must be an integer >= 1, got ${s.maxTokens}`);
  }
  if (!(Number.isInteger(s.minTokens) && s.minTokens >= 0)) fail("min_tokens", `must be an integer >= 0, got ${s.minTokens}`);
  if (s.maxTokens !== undefined && s.minTokens > s.maxTokens) {
    fail("min_tokens", `must not exceed max_tokens (${s.maxTokens}), got ${s.minTokens}`);
  }
  for (const id of s.stopTokenIds) {
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) fail("stop_token_ids", `must be token ids in [0, ${vocabSize}), got ${id}`);
  }
}
