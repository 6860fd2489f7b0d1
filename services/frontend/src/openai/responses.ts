/**
 * The OpenAI response shapes: chat.completion(.chunk) and text_completion, built from the
 * preprocessor's messages. The last chunk (and every whole response) carries kvmesh's
 * extension `{ kvmesh: { worker_id, migrations, ...routing record } }`; usage carries cached tokens.
 */
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { Usage } from "#contracts/gen/kvmesh/v1/common.js";
import type { PreprocessResponse, TextLogprob } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { finishWithTools, joinToolCalls, toolCallDeltaJson } from "./tool-call-json.js";

/** What identifies one response across its chunks. */
export interface ResponseMeta {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly kind: "chat" | "completions";
}

/** OpenAI's finish_reason for ours. */
export function finishReasonText(reason: FinishReason | undefined): string | null {
  switch (reason) {
    case FinishReason.FINISH_REASON_STOP:
      return "stop";
    case FinishReason.FINISH_REASON_LENGTH:
      return "length";
    case FinishReason.FINISH_REASON_CANCELLED:
      return "abort";
    default:
      return null;
  }
}

/** OpenAI usage with cached tokens. */
export function usageJson(usage: Usage): object {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}

function bytesOf(b: Uint8Array): number[] {
  return [...b];
}

/** Chat logprobs: `{ content: [{ token, logprob, bytes, top_logprobs }] }`. */
function chatLogprobs(lps: readonly TextLogprob[]): object {
  return {
    content: lps.map((lp) => ({
      token: lp.token, logprob: lp.logprob, bytes: bytesOf(lp.tokenBytes),
      top_logprobs: lp.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: bytesOf(t.tokenBytes) })),
    })),
  };
}

/** Completions logprobs: parallel arrays, text offsets counted from `offset`. */
function completionLogprobs(lps: readonly TextLogprob[], offset: number): object {
  const textOffset: number[] = [];
  let at = offset;
  for (const lp of lps) {
    textOffset.push(at);
    at += lp.token.length;
  }
  return {
    tokens: lps.map((lp) => lp.token),
    token_logprobs: lps.map((lp) => lp.logprob),
    top_logprobs: lps.map((lp) => Object.fromEntries(lp.top.map((t) => [t.token, t.logprob]))),
    text_offset: textOffset,
  };
}

/**
 * The extension object on last chunks and whole responses: the serving worker, migrations, and
 * the routing record (docs/routing-record.md) — predicted and available cached tokens,
 * predicted TTFT (null unless the router mode predicts it: ttft), and the delivered cached
 * tokens (usage's count). Fields the router did not send are null.
 */
export function kvmeshExtension(message: Pick<PreprocessResponse, "workerId" | "migrations" | "routing" | "usage">): object {
  const r = message.routing;
  return {
    worker_id: message.workerId,
    migrations: message.migrations,
    predicted_cached_tokens: r?.predictedCachedTokens ?? null,
    predicted_ttft_ms: r?.predictedTtftMs ?? null,
    available_cached_tokens: r?.availableCachedTokens ?? null,
    cached_tokens: message.usage?.cachedTokens ?? r?.cachedTokens ?? null,
  };
}

/** A chat delta: role on the first, content, reasoning_content and tool_calls pieces when present. */
function chatDelta(message: PreprocessResponse, first: boolean): object {
  const calls = message.toolCalls;
  const reasoning = message.reasoningText ?? "";
  const bare = message.text === "" && (calls.length > 0 || reasoning !== "");
  return {
    ...(first ? { role: "assistant" } : {}),
    ...(bare ? {} : { content: message.text }),
    ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
    ...(calls.length > 0 ? { tool_calls: calls.map(toolCallDeltaJson) } : {}),
  };
}

/** How one chunk is built (see {@link chunkJson}). */
export interface ChunkOptions {
  readonly first: boolean;
  readonly logprobs: boolean;
  readonly textOffset: number;
  readonly sawToolCalls?: boolean;
  readonly usage?: boolean;
}

/**
 * One streamed chunk for a preprocessor message; `first` adds the assistant role (chat),
 * `sawToolCalls` (this or an earlier message had tool calls) turns a final "stop" into "tool_calls",
 * `usage` adds the running usage (stream_options.continuous_usage_stats).
 */
export function chunkJson(meta: ResponseMeta, message: PreprocessResponse, options: ChunkOptions): object {
  const finish = finishWithTools(finishReasonText(message.finishReason), options.sawToolCalls ?? false);
  const last = message.finishReason !== undefined;
  const logprobs = options.logprobs && message.logprobs.length > 0
    ? (meta.kind === "chat" ? chatLogprobs(message.logprobs) : completionLogprobs(message.logprobs, options.textOffset))
    : null;
  const choice = meta.kind === "chat"
    ? { index: 0, delta: chatDelta(message, options.first), logprobs, finish_reason: finish }
    : { index: 0, text: message.text, logprobs, finish_reason: finish };
  return {
    id: meta.id,
    object: meta.kind === "chat" ? "chat.completion.chunk" : "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [choice],
    // stream_options.continuous_usage_stats (vLLM): the running usage on every chunk.
    ...(options.usage && message.usage ? { usage: usageJson(message.usage) } : {}),
    ...(last ? { kvmesh: kvmeshExtension(message) } : {}),
  };
}

/** The usage-only chunk of stream_options.include_usage (empty choices, as OpenAI sends it). */
export function usageChunkJson(meta: ResponseMeta, usage: Usage): object {
  return {
    id: meta.id,
    object: meta.kind === "chat" ? "chat.completion.chunk" : "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [],
    usage: usageJson(usage),
  };
}

/** A whole (non-streamed) response from every message of the stream. */
export function wholeResponseJson(meta: ResponseMeta, messages: readonly PreprocessResponse[], logprobs: boolean): object {
  const text = messages.map((m) => m.text).join("");
  const last = messages.at(-1);
  const lps = messages.flatMap((m) => m.logprobs);
  const calls = joinToolCalls(messages.flatMap((m) => m.toolCalls));
  const reasoning = messages.map((m) => m.reasoningText ?? "").join("");
  const finish = finishWithTools(finishReasonText(last?.finishReason), calls.length > 0);
  const lpJson = logprobs ? (meta.kind === "chat" ? chatLogprobs(lps) : completionLogprobs(lps, 0)) : null;
  const message = {
    role: "assistant",
    content: text === "" && calls.length > 0 ? null : text,
    ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
  };
  const choice = meta.kind === "chat"
    ? { index: 0, message, logprobs: lpJson, finish_reason: finish }
    : { index: 0, text, logprobs: lpJson, finish_reason: finish };
  return {
    id: meta.id,
    object: meta.kind === "chat" ? "chat.completion" : "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [choice],
    usage: last?.usage ? usageJson(last.usage) : null,
    kvmesh: last ? kvmeshExtension(last) : null,
  };
}
