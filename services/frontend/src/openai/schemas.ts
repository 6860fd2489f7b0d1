/**
 * OpenAI request bodies → the pipeline's request (PreprocessRequest fields), through the one
 * schema per body (request-schemas.ts). Unsupported and unknown fields are rejected with
 * `unsupported_parameter` first (the parameter table), never ignored; then the schema checks
 * every field's type and range, and its first issue becomes the 400 naming the field.
 */
import type { ChatMessage, PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { InvalidArgumentError, UnsupportedParameterError } from "#common/errors.js";
import { paramsOf } from "./params.js";
import { chatBodySchema, completionBodySchema } from "./request-schemas.js";
import type { ChatBody, CompletionBody } from "./request-schemas.js";
import { toInvalidArgument } from "./rules.js";
import { toolFields } from "./tool-choice.js";

/** A JSON object request body, as parsed. */
export type Body = Record<string, unknown>;

/** What the pipeline runs, plus how the answer is shaped. */
export interface ParsedRequest {
  readonly kind: "chat" | "completions";
  readonly model: string;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** stream_options.continuous_usage_stats (vLLM): usage on every streamed chunk. */
  readonly continuousUsage: boolean;
  /** Logprobs asked for: the number of alternatives per token. */
  readonly topLogprobs: number | undefined;
  readonly user: string | undefined;
  /** PreprocessRequest without its request id. */
  readonly request: Omit<PreprocessRequest, "requestId">;
}

const CHAT_PARAMS = paramsOf("chat");
const COMPLETION_PARAMS = paramsOf("completions");

/** Rejects unsupported and unknown fields, naming the first. */
function checkKnown(body: Body, table: ReturnType<typeof paramsOf>, endpoint: string): void {
  for (const name of Object.keys(body)) {
    const row = table.get(name);
    if (row === undefined) throw new UnsupportedParameterError(`'${name}' is not a parameter kvmesh supports for ${endpoint}`, { param: name });
    if (row.support === "unsupported") throw new UnsupportedParameterError(`'${name}' is not supported: ${row.note}`, { param: name });
  }
}

type Common = Pick<PreprocessRequest, "sampling" | "stop" | "stopStrings" | "includeStopStrInOutput" | "skipSpecialTokens">;

/** Sampling and stop conditions common to both endpoints, from a validated body. */
function commonFields(body: ChatBody | CompletionBody, maxTokens: number | undefined, topLogprobs: number | undefined): Common {
  if (body.n !== undefined && body.n > 1) throw new UnsupportedParameterError("'n' > 1 is not supported: send n requests (they share the prompt's KV cache)", { param: "n" });
  return {
    sampling: {
      temperature: body.temperature, topP: body.top_p, topK: body.top_k, seed: body.seed,
      presencePenalty: body.presence_penalty, frequencyPenalty: body.frequency_penalty, repetitionPenalty: body.repetition_penalty,
      topLogprobs, logitBias: body.logit_bias === undefined ? undefined : { bias: body.logit_bias },
    },
    stop: { maxTokens, minTokens: body.min_tokens, stopTokenIds: body.stop_token_ids ?? [], ignoreEos: body.ignore_eos ?? false },
    stopStrings: body.stop,
    includeStopStrInOutput: body.include_stop_str_in_output ?? false,
    skipSpecialTokens: body.skip_special_tokens,
  };
}

/** Stream shape flags of a validated body. */
function streamFlags(body: ChatBody | CompletionBody): Pick<ParsedRequest, "stream" | "includeUsage" | "continuousUsage"> {
  return { stream: body.stream ?? false, includeUsage: body.stream_options?.include_usage ?? false, continuousUsage: body.stream_options?.continuous_usage_stats ?? false };
}

/** One chat message as the wire carries it (content parts and tool calls as JSON text; also /tokenize's). */
export function chatMessage(m: ChatBody["messages"][number]): ChatMessage {
  return {
    role: m.role === "developer" ? "system" : m.role,
    ...(typeof m.content === "string" ? { content: m.content } : {}),
    ...(Array.isArray(m.content) ? { contentPartsJson: JSON.stringify(m.content) } : {}),
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.tool_call_id !== undefined ? { toolCallId: m.tool_call_id } : {}),
    ...(m.tool_calls != null ? { toolCallsJson: JSON.stringify(m.tool_calls) } : {}),
  };
}

/** POST /v1/chat/completions. */
export function parseChatRequest(raw: Body): ParsedRequest {
  checkKnown(raw, CHAT_PARAMS, "chat completions");
  const result = chatBodySchema.safeParse(raw);
  if (!result.success) throw toInvalidArgument(result.error);
  const body = result.data;
  if (body.response_format != null && body.response_format.type !== "text") {
    throw new UnsupportedParameterError(`'response_format' of type ${JSON.stringify(body.response_format.type).slice(0, 40)} is not supported (no guided decoding); only "text"`, { param: "response_format" });
  }
  const tools = toolFields(body);
  const topLogprobs = body.logprobs ? (body.top_logprobs ?? 0) : undefined;
  const common = commonFields(body, body.max_completion_tokens ?? body.max_tokens, topLogprobs);
  return {
    kind: "chat", model: body.model, ...streamFlags(body), topLogprobs, user: body.user,
    request: {
      model: body.model,
      prompt: {
        $case: "chat",
        chat: {
          messages: body.messages.map(chatMessage),
          toolsJson: tools.toolsJson,
          chatTemplateKwargsJson: body.chat_template_kwargs == null ? undefined : JSON.stringify(body.chat_template_kwargs),
          addGenerationPrompt: body.add_generation_prompt,
        },
      },
      ...common,
      ...(tools.parseToolCalls ? { parseToolCalls: true } : {}),
    },
  };
}

/** POST /v1/completions. */
export function parseCompletionRequest(raw: Body): ParsedRequest {
  checkKnown(raw, COMPLETION_PARAMS, "completions");
  const result = completionBodySchema.safeParse(raw);
  if (!result.success) throw toInvalidArgument(result.error);
  const body = result.data;
  if (body.echo) throw new UnsupportedParameterError("'echo': true is not supported (the prompt is not returned); false is accepted", { param: "echo" });
  if (body.best_of !== undefined && body.best_of > 1) throw new UnsupportedParameterError("'best_of' > 1 is not supported: send several requests and pick; 1 is accepted", { param: "best_of" });
  const prompt = completionPrompt(body.prompt);
  const common = commonFields(body, body.max_tokens, body.logprobs);
  return {
    kind: "completions", model: body.model, ...streamFlags(body), topLogprobs: body.logprobs, user: body.user,
    request: { model: body.model, prompt, ...common },
  };
}

const isTokenId = (t: unknown): boolean => Number.isInteger(t) && (t as number) >= 0 && (t as number) < 2 ** 32;

/** A string, a token-id list, or a list holding exactly one of those. */
function completionPrompt(prompt: unknown): PreprocessRequest["prompt"] {
  const single = Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === "string" || Array.isArray(prompt[0])) ? prompt[0] : prompt;
  if (typeof single === "string") {
    if (single === "") throw new InvalidArgumentError("'prompt' must not be empty", { param: "prompt" });
    return { $case: "text", text: single };
  }
  if (Array.isArray(single) && single.length > 0 && single.every(isTokenId)) {
    return { $case: "tokens", tokens: { tokenIds: single as number[] } };
  }
  if (Array.isArray(single) && single.length > 1 && single.every((p) => typeof p === "string" || Array.isArray(p))) {
    throw new UnsupportedParameterError("a list of several prompts is not supported: send one request per prompt", { param: "prompt" });
  }
  throw new InvalidArgumentError("'prompt' must be a non-empty string or a non-empty list of token ids (each in [0, 4294967295])", { param: "prompt" });
}
