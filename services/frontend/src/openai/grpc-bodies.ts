/**
 * The gRPC Frontend requests as the OpenAI bodies they stand for, so the gRPC door validates
 * through the same schemas as the REST door and rejects exactly what it rejects (temperature
 * 7, stop [""], max_tokens 0...). JSON text fields (tools, tool_choice, content parts, template kwargs) are
 * parsed with the same depth limit as an HTTP body.
 */
import type { ChatCompletionRequest, CompletionOptions, CompletionRequest } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { ChatMessage } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { parseJsonSafely } from "#common/safe-json.js";
import type { Body } from "./schemas.js";

/** Only the options the caller set (proto3 `optional` leaves the rest undefined). */
function optionsBody(o: CompletionOptions | undefined, kind: "chat" | "completions"): Body {
  if (o === undefined) return {};
  const body: Body = {
    max_tokens: o.maxTokens, temperature: o.temperature, top_p: o.topP, top_k: o.topK, seed: o.seed,
    presence_penalty: o.presencePenalty, frequency_penalty: o.frequencyPenalty, repetition_penalty: o.repetitionPenalty,
    min_tokens: o.minTokens, ...(o.ignoreEos ? { ignore_eos: true } : {}),
    ...(o.stop.length > 0 ? { stop: o.stop } : {}),
    logit_bias: json(o.logitBiasJson, "logit_bias"),
  };
  // Chat's logprobs is a flag plus top_logprobs; completions' logprobs is the count itself.
  if (kind === "chat") Object.assign(body, o.logprobs ? { logprobs: true, top_logprobs: o.topLogprobs } : { top_logprobs: o.topLogprobs });
  else if (o.logprobs) body.logprobs = o.topLogprobs ?? 0;
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

function json(text: string | undefined, param: string): unknown {
  return text === undefined ? undefined : parseJsonSafely(text, { param });
}

function messageBody(m: ChatMessage, i: number): Body {
  const param = `messages[${i}]`;
  return {
    role: m.role,
    content: m.content ?? json(m.contentPartsJson, `${param}.content`),
    name: m.name,
    tool_call_id: m.toolCallId,
    tool_calls: json(m.toolCallsJson, `${param}.tool_calls`),
  };
}

/** Frontend/ChatCompletion as a /v1/chat/completions body. */
export function chatBodyOf(request: ChatCompletionRequest): Body {
  const body: Body = {
    model: request.model,
    messages: request.messages.map(messageBody),
    tools: json(request.toolsJson, "tools"),
    tool_choice: json(request.toolChoiceJson, "tool_choice"),
    chat_template_kwargs: json(request.chatTemplateKwargsJson, "chat_template_kwargs"),
    ...optionsBody(request.options, "chat"),
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

/** Frontend/Completion as a /v1/completions body. */
export function completionBodyOf(request: CompletionRequest): Body {
  const prompt = request.prompt?.$case === "text" ? request.prompt.text : request.prompt?.$case === "tokens" ? request.prompt.tokens.tokenIds : undefined;
  return { model: request.model, ...(prompt === undefined ? {} : { prompt }), ...optionsBody(request.options, "completions") };
}
