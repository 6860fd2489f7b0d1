/**
 * The prompt byte pre-check: a prompt of more UTF-8 bytes than context length × the longest
 * token's bytes needs at least context-length tokens, so it is rejected as too long before it
 * is tokenized (or, for chat, before its template is rendered) — a prompt near the body cap
 * would otherwise cost seconds of CPU and gigabytes of token arrays to learn the same thing.
 */
import { ContextLengthError } from "#common/errors.js";

/** What the pre-check needs to know about a model. */
export interface PromptByteModel {
  /** The context length in tokens; 0 means unknown (no check). */
  contextLength: number;
  tokenizer: { readonly maxTokenBytes: number };
}

/** The most UTF-8 bytes a prompt of `model` may have, or undefined when there is no bound. */
export function promptByteLimit(model: PromptByteModel): number | undefined {
  const { contextLength } = model;
  const perToken = model.tokenizer.maxTokenBytes;
  return contextLength > 0 && perToken > 0 ? contextLength * perToken : undefined;
}

/** Throws ContextLengthError (naming `param`) when `bytes` exceeds the model's byte limit. */
export function checkPromptBytes(bytes: number, model: PromptByteModel, param: "prompt" | "messages"): void {
  const limit = promptByteLimit(model);
  if (limit === undefined || bytes <= limit) return;
  throw new ContextLengthError(
    `the prompt is ${bytes} bytes of UTF-8, more than the ${limit} bytes the model's context length of ${model.contextLength} tokens can hold ` +
      `(its longest token is ${model.tokenizer.maxTokenBytes} bytes)`,
    { param },
  );
}

/** UTF-8 byte length of `text`, without encoding it. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
