/**
 * Sampling and stop parameters as plain data, after defaults. The preprocessor already applied
 * generation_config.json defaults; what is still unset here takes the engine defaults (greedy).
 */

/** How the next token is drawn (proto SamplingParams with every field resolved). */
export interface SamplingOptions {
  /** 0 means greedy. */
  readonly temperature: number;
  /** Nucleus mass in (0, 1]; 1 disables. */
  readonly topP: number;
  /** Keep the k most likely tokens; 0 or -1 disables. */
  readonly topK: number;
  /** Seed of the per-request generator; undefined: derived from the request id. */
  readonly seed: bigint | undefined;
  /** OpenAI presence penalty in [-2, 2], over output tokens. */
  readonly presencePenalty: number;
  /** OpenAI frequency penalty in [-2, 2], over output tokens. */
  readonly frequencyPenalty: number;
  /** HF repetition penalty (> 0, 1 disables), over prompt and output tokens. */
  readonly repetitionPenalty: number;
  /** Undefined: no logprobs. Otherwise the chosen token's logprob plus this many alternatives (0..20). */
  readonly topLogprobs: number | undefined;
  /** OpenAI logit_bias: [token id, bias in [-100, 100]] pairs added to the raw logits; empty: none. */
  readonly logitBias: ReadonlyArray<readonly [number, number]>;
}

/** When generation stops (proto StopConditions with every field resolved). */
export interface StopOptions {
  /** New tokens at most; undefined: up to the context length. */
  readonly maxTokens: number | undefined;
  /** Eos and stop token ids are masked until this many new tokens were produced. */
  readonly minTokens: number;
  /** Extra ids that end the sequence (always, even with ignoreEos). */
  readonly stopTokenIds: readonly number[];
  /** Keep generating through the model's eos ids. */
  readonly ignoreEos: boolean;
}

/** Engine defaults: greedy, no penalties, no logprobs. */
export const DEFAULT_SAMPLING: SamplingOptions = {
  temperature: 0,
  topP: 1,
  topK: 0,
  seed: undefined,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  topLogprobs: undefined,
  logitBias: [],
};

/** Engine defaults: no limits besides the context length. */
export const DEFAULT_STOP: StopOptions = { maxTokens: undefined, minTokens: 0, stopTokenIds: [], ignoreEos: false };

/** Most alternatives a token may carry (OpenAI's limit). */
export const MAX_TOP_LOGPROBS = 20;

/** Below this temperature sampling is greedy (dividing by ~0 would overflow). */
export const GREEDY_EPSILON = 1e-5;

/** Whether the options ask for greedy decoding. */
export function isGreedy(options: SamplingOptions): boolean {
  return options.temperature < GREEDY_EPSILON;
}
