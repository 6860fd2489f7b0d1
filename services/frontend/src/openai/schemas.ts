/**
 * OpenAI request bodies → the pipeline's request (PreprocessRequest fields). Validation
 * follows the parameter table: supported fields are range-checked, unsupported and unknown
 * ones are rejected with `unsupported_parameter`, never ignored.
 */
import type { ChatMessage, PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { InvalidArgumentError, UnsupportedParameterError } from "#common/errors.js";
import {
  boolField, numberField, objectJsonField, requiredString, stopField, stringField, tokenIdsField,
} from "./fields.js";
import type { Body } from "./fields.js";
import { paramsOf } from "./params.js";
import { toolFields } from "./tool-choice.js";

/** What the pipeline runs, plus how the answer is shaped. */
export interface ParsedRequest {
  readonly kind: "chat" | "completions";
  readonly model: string;
  readonly stream: boolean;
  readonly includeUsage: boolean;
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
  const n = numberField(body, "n", { integer: true, min: 1 });
  if (n !== undefined && n > 1) throw new UnsupportedParameterError("'n' > 1 is not supported: send n requests (they share the prompt's KV cache)", { param: "n" });
}

/** Sampling, stop conditions and stream flags common to both endpoints. */
function commonFields(body: Body, maxTokensName: string | undefined): Pick<PreprocessRequest, "sampling" | "stop" | "stopStrings" | "includeStopStrInOutput" | "skipSpecialTokens"> & { stream: boolean; includeUsage: boolean } {
  const maxTokens = (maxTokensName && numberField(body, maxTokensName, { integer: true, min: 1 })) || numberField(body, "max_tokens", { integer: true, min: 1 });
  const stream = boolField(body, "stream") ?? false;
  const options = body.stream_options;
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (typeof options !== "object" || Array.isArray(options)) throw new InvalidArgumentError("'stream_options' must be an object", { param: "stream_options" });
    if (!stream) throw new InvalidArgumentError("'stream_options' is only allowed with stream: true", { param: "stream_options" });
    includeUsage = boolField(options as Body, "include_usage") ?? false;
  }
  const seed = numberField(body, "seed", { integer: true, min: -(2 ** 63), max: 2 ** 64 - 1 });
  const topK = numberField(body, "top_k", { integer: true, min: -1 });
  return {
    sampling: {
      temperature: numberField(body, "temperature", { min: 0, max: 2 }),
      topP: numberField(body, "top_p", { min: 0, minExclusive: true, max: 1 }),
      topK,
      seed: seed === undefined ? undefined : BigInt.asUintN(64, BigInt(seed)),
      presencePenalty: numberField(body, "presence_penalty", { min: -2, max: 2 }),
      frequencyPenalty: numberField(body, "frequency_penalty", { min: -2, max: 2 }),
      repetitionPenalty: numberField(body, "repetition_penalty", { min: 0, minExclusive: true }),
    },
    stop: {
      maxTokens,
      minTokens: numberField(body, "min_tokens", { integer: true, min: 0 }),
      stopTokenIds: tokenIdsField(body, "stop_token_ids") ?? [],
      ignoreEos: boolField(body, "ignore_eos") ?? false,
    },
    stopStrings: stopField(body),
    includeStopStrInOutput: boolField(body, "include_stop_str_in_output") ?? false,
    skipSpecialTokens: boolField(body, "skip_special_tokens"),
    stream,
    includeUsage,
  };
}

/** One chat message as the wire carries it. */
function chatMessage(raw: unknown, i: number): ChatMessage {
  const param = `messages[${i}]`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new InvalidArgumentError(`'${param}' must be an object`, { param });
  const m = raw as Body;
  const role = m.role;
  if (!["system", "developer", "user", "assistant", "tool"].includes(role as string)) {
    throw new InvalidArgumentError(`'${param}.role' must be system, developer, user, assistant or tool, got ${JSON.stringify(role)}`, { param: `${param}.role` });
  }
  const content = m.content;
  if (content !== undefined && content !== null && typeof content !== "string" && !Array.isArray(content)) {
    throw new InvalidArgumentError(`'${param}.content' must be a string or a list of content parts`, { param: `${param}.content` });
  }
  if ((content === undefined || content === null) && role !== "assistant") {
    throw new InvalidArgumentError(`'${param}.content' is required for role ${role as string}`, { param: `${param}.content` });
  }
  return {
    role: role === "developer" ? "system" : (role as string),
    ...(typeof content === "string" ? { content } : {}),
    ...(Array.isArray(content) ? { contentPartsJson: JSON.stringify(content) } : {}),
    ...(typeof m.name === "string" ? { name: m.name } : {}),
    ...(typeof m.tool_call_id === "string" ? { toolCallId: m.tool_call_id } : {}),
    ...(Array.isArray(m.tool_calls) ? { toolCallsJson: JSON.stringify(m.tool_calls) } : {}),
  };
}

/** POST /v1/chat/completions. */
export function parseChatRequest(body: Body): ParsedRequest {
  checkKnown(body, CHAT_PARAMS, "chat completions");
  const model = requiredString(body, "model");
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new InvalidArgumentError("'messages' must be a non-empty list", { param: "messages" });
  const tools = toolFields(body.tools, body.tool_choice);
  if (boolField(body, "parallel_tool_calls") === false) {
    throw new UnsupportedParameterError("'parallel_tool_calls': false is not supported (no constrained decoding); true is the default", { param: "parallel_tool_calls" });
  }
  const logprobs = boolField(body, "logprobs") ?? false;
  const top = numberField(body, "top_logprobs", { integer: true, min: 0, max: 20 });
  if (top !== undefined && !logprobs) throw new InvalidArgumentError("'top_logprobs' requires logprobs: true", { param: "top_logprobs" });
  const common = commonFields(body, "max_completion_tokens");
  const { stream, includeUsage, ...rest } = common;
  const topLogprobs = logprobs ? (top ?? 0) : undefined;
  return {
    kind: "chat", model, stream, includeUsage, topLogprobs, user: stringField(body, "user"),
    request: {
      model,
      prompt: {
        $case: "chat",
        chat: {
          messages: body.messages.map(chatMessage),
          toolsJson: tools.toolsJson,
          chatTemplateKwargsJson: objectJsonField(body, "chat_template_kwargs"),
          addGenerationPrompt: boolField(body, "add_generation_prompt"),
        },
      },
      ...rest,
      sampling: { ...rest.sampling, topLogprobs },
      ...(tools.parseToolCalls ? { parseToolCalls: true } : {}),
    },
  };
}

/** POST /v1/completions. */
export function parseCompletionRequest(body: Body): ParsedRequest {
  checkKnown(body, COMPLETION_PARAMS, "completions");
  const model = requiredString(body, "model");
  const topLogprobs = numberField(body, "logprobs", { integer: true, min: 0, max: 20 });
  const { stream, includeUsage, ...rest } = commonFields(body, undefined);
  return {
    kind: "completions", model, stream, includeUsage, topLogprobs, user: stringField(body, "user"),
    request: { model, prompt: completionPrompt(body.prompt), ...rest, sampling: { ...rest.sampling, topLogprobs } },
  };
}

/** A string, a token-id list, or a list holding exactly one of those. */
function completionPrompt(prompt: unknown): PreprocessRequest["prompt"] {
  const single = Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === "string" || Array.isArray(prompt[0])) ? prompt[0] : prompt;
  if (typeof single === "string") {
    if (single === "") throw new InvalidArgumentError("'prompt' must not be empty", { param: "prompt" });
    return { $case: "text", text: single };
  }
  if (Array.isArray(single) && single.length > 0 && single.every((t) => Number.isInteger(t) && t >= 0 && t < 2 ** 32)) {
    return { $case: "tokens", tokens: { tokenIds: single as number[] } };
  }
  if (Array.isArray(single) && single.length > 1) {
    throw new UnsupportedParameterError("a list of several prompts is not supported: send one request per prompt", { param: "prompt" });
  }
  throw new InvalidArgumentError("'prompt' must be a non-empty string or a non-empty list of token ids", { param: "prompt" });
}
