/**
 * Turns one row's logits into the next token: logit_bias → min_tokens mask → repetition,
 * frequency and presence penalties → greedy argmax, or temperature → top-k → top-p → seeded
 * draw (vLLM's order: the bias is a logits processor, applied before the penalties).
 *
 * Logprobs are the log-softmax of the processed logits: after the bias, the mask, the penalties and the
 * temperature (when sampling), before top-k/top-p truncation — so every vocabulary entry has a
 * finite logprob unless masked, and they sum (in probability) to 1.
 */
import type { TokenLogprob } from "#contracts/gen/kvmesh/v1/common.js";
import { logSoftmax, tokenLogprob } from "./logprobs.js";
import { applyOpenAiPenalties, applyRepetitionPenalty, maskTokens } from "./penalties.js";
import { uniformAt } from "./rng.js";
import { isGreedy } from "./sampling-params.js";
import type { SamplingOptions } from "./sampling-params.js";
import { pickCandidate, truncatedCandidates } from "./truncation.js";

/** What the sampler needs to know about the sequence besides its logits. */
export interface SampleContext {
  /** Prompt and output tokens so far (repetition penalty). */
  readonly allTokenIds: readonly number[];
  /** Index in allTokenIds where output tokens start (resumed outputs included). */
  readonly outputStart: number;
  /** Absolute output index of the token being drawn (keys the random draw). */
  readonly outputIndex: number;
  /** The request's seed (explicit or derived from its id). */
  readonly seed: bigint;
  /** Ids that must not be drawn now (eos and stop ids before min_tokens). */
  readonly maskedIds: readonly number[];
}

/** One drawn token, with its logprob when asked for. */
export interface SampledToken {
  readonly tokenId: number;
  readonly logprob: TokenLogprob | undefined;
}

/** Draws the next token from `logits` (not modified). */
export function sampleToken(logits: Float32Array, options: SamplingOptions, ctx: SampleContext): SampledToken {
  // Plain greedy decoding (the common serving case) needs no processed copy of the logits.
  if (isPlainGreedy(options, ctx)) return { tokenId: argmax(logits), logprob: undefined };
  const work = Float64Array.from(logits);
  for (const [id, bias] of options.logitBias) work[id] += bias;
  maskTokens(work, ctx.maskedIds);
  applyRepetitionPenalty(work, ctx.allTokenIds, options.repetitionPenalty);
  applyOpenAiPenalties(work, outputsOf(ctx), options.frequencyPenalty, options.presencePenalty);
  let tokenId: number;
  if (isGreedy(options)) {
    tokenId = argmax(work);
  } else {
    for (let i = 0; i < work.length; i++) work[i] /= options.temperature;
    const candidates = truncatedCandidates(work, options.topK, options.topP);
    tokenId = pickCandidate(candidates, uniformAt(ctx.seed, ctx.outputIndex));
  }
  const logprob = options.topLogprobs === undefined ? undefined : tokenLogprob(logSoftmax(work), tokenId, options.topLogprobs);
  return { tokenId, logprob };
}

function* outputsOf(ctx: SampleContext): Iterable<number> {
  for (let i = ctx.outputStart; i < ctx.allTokenIds.length; i++) yield ctx.allTokenIds[i];
}

/** Greedy with nothing that changes the logits and no logprobs asked for. */
function isPlainGreedy(options: SamplingOptions, ctx: SampleContext): boolean {
  return isGreedy(options) && options.topLogprobs === undefined && ctx.maskedIds.length === 0 && options.logitBias.length === 0 &&
    options.repetitionPenalty === 1 && options.frequencyPenalty === 0 && options.presencePenalty === 0;
}

/** Index of the largest value, ties to the lower id. */
export function argmax(values: Float64Array | Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
