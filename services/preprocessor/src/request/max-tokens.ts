/**
 * The context-length check and the default max_tokens: a prompt must leave room for at least
 * one new token, prompt + max_tokens must fit the context, and an unset max_tokens becomes
 * context length − prompt length (capped by generation_config's max_new_tokens).
 */
import { ContextLengthError, InvalidArgumentError } from "#common/errors.js";

/** Inputs of {@link resolveMaxTokens}. */
export interface MaxTokensInput {
  promptTokens: number;
  /** The model's context length; 0 means unknown (no check). */
  contextLength: number;
  /** The request's max_tokens, when given. */
  requested?: number;
  /** generation_config's max_new_tokens, when given. */
  defaultCap?: number;
  /** The request field holding the prompt, named by a too-long error (default "messages"). */
  promptParam?: "prompt" | "messages";
}

/** The max_tokens to send upstream (undefined only when the context length is unknown and none was asked). */
export function resolveMaxTokens(input: MaxTokensInput): number | undefined {
  const { promptTokens: p, contextLength: c, requested } = input;
  if (p === 0) throw new InvalidArgumentError("the prompt is empty", { param: "prompt" });
  if (c === 0) return requested ?? input.defaultCap;
  if (p >= c) {
    throw new ContextLengthError(`the prompt has ${p} tokens but the model's context length is ${c} tokens (at most ${c - 1} prompt tokens leave room to generate)`, {
      param: input.promptParam ?? "messages",
    });
  }
  if (requested !== undefined) {
    if (p + requested > c) {
      throw new ContextLengthError(
        `this model's context length is ${c} tokens, but ${p + requested} tokens were requested (${p} in the prompt, ${requested} for max_tokens)`,
        { param: "max_tokens" },
      );
    }
    return requested;
  }
  return Math.min(c - p, input.defaultCap ?? Number.POSITIVE_INFINITY);
}
