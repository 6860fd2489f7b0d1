/**
 * What crosses between the main thread and the prompt pool's worker threads: a task names its
 * model by key and carries the card data in a SharedArrayBuffer (shared, not copied, per task;
 * a thread decodes it only the first time it meets the key), and the result carries either the
 * token ids or the typed error the thread threw, rebuilt on the main thread as the same class.
 */
import { ContextLengthError, FailedPreconditionError, InternalError, InvalidArgumentError, KvmeshError, UnsupportedParameterError } from "#common/errors.js";
import type { KvmeshErrorOptions } from "#common/errors.js";
import type { PromptInput, PromptTokens } from "../request/prompt-tokens.js";

/** A model as the pool knows it: a key unique per card version, and the card data. */
export interface PooledModel {
  readonly key: string;
  /** JSON of PromptModelData, UTF-8. */
  readonly data: SharedArrayBuffer;
}

/** One encoding task. */
export interface PromptTask {
  model: PooledModel;
  prompt: PromptInput;
  /** /tokenize's add_special_tokens; absent: the prompt kind's default. */
  addSpecialTokens?: boolean;
}

/** A typed error as it crosses threads. */
export interface TaskError {
  name: string;
  message: string;
  param?: string;
}

/** The outcome of a task. */
export type PromptTaskResult = { ok: true; tokenIds: Uint32Array; rendered?: string } | { ok: false; error: TaskError };

type ErrorClass = new (message: string, options?: KvmeshErrorOptions) => KvmeshError;

/** The errors prompt encoding throws on bad input; anything else is a bug (InternalError). */
const ERROR_CLASSES: Record<string, ErrorClass> = {
  ContextLengthError,
  FailedPreconditionError,
  InvalidArgumentError,
  UnsupportedParameterError,
};

/** `err` as it crosses threads. */
export function toTaskError(err: unknown): TaskError {
  if (err instanceof KvmeshError) return { name: err.name, message: err.message, param: err.param };
  return { name: "Error", message: err instanceof Error ? err.message : String(err) };
}

/** The typed error again, on the main thread. */
export function fromTaskError(error: TaskError): KvmeshError {
  const Class = ERROR_CLASSES[error.name];
  if (Class) return new Class(error.message, { param: error.param });
  return new InternalError("prompt encoding failed", { cause: new Error(`${error.name}: ${error.message}`) });
}

/** The task's result as the inline path would have returned it. */
export function fromTaskResult(result: PromptTaskResult): PromptTokens {
  if (!result.ok) throw fromTaskError(result.error);
  const tokens: PromptTokens = { tokenIds: Array.from(result.tokenIds) };
  if (result.rendered !== undefined) tokens.rendered = result.rendered;
  return tokens;
}
