/**
 * POST /v1/responses request bodies → the chat pipeline's request. Stateless: `input` (a string
 * or items: messages, function_call, function_call_output) and `instructions` become chat
 * messages; `store: true` and `previous_response_id` need stored responses and are a 400.
 * Unknown and unsupported fields are rejected, as on the chat endpoint; the body validates
 * through responsesBodySchema (zod), as chat and completions do through theirs.
 */
import { UnsupportedParameterError } from "#common/errors.js";
import type { ChatMessage, PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { show, toInvalidArgument } from "../rules.js";
import type { Body } from "../schemas.js";
import { toolFields } from "../tool-choice.js";
import type { ToolBody } from "../tool-choice.js";
import { responsesBodySchema } from "./responses-schema.js";
import type { ResponsesBody } from "./responses-schema.js";
import { inputMessages } from "./input-items.js";

/** A parsed Responses request. */
export interface ParsedResponsesRequest {
  readonly model: string;
  readonly stream: boolean;
  /** Echoed in the response object. */
  readonly echo: { instructions: string | null; max_output_tokens: number | null; temperature: number | null; top_p: number | null; tools: unknown[]; tool_choice: unknown; user: string | null };
  /** PreprocessRequest without its request id. */
  readonly request: Omit<PreprocessRequest, "requestId">;
}

const SUPPORTED = new Set(["text", "model", "input", "instructions", "max_output_tokens", "temperature", "top_p", "tools", "tool_choice", "stream", "store", "previous_response_id", "user", "parallel_tool_calls", "truncation"]);
const UNSUPPORTED: Record<string, string> = {
  background: "responses are not stored", conversation: "responses are not stored", metadata: "responses are not stored",
  include: "no extra outputs", reasoning: "no reasoning effort control",
  prompt: "no stored prompts", service_tier: "one tier", top_logprobs: "not built for responses", max_tool_calls: "not built",
  prompt_cache_key: "the KV router finds shared prefixes itself", safety_identifier: "not built", stream_options: "not built for responses",
};

/** Rejects unknown and unsupported fields, naming the first (as checkKnown does for chat). */
function checkKnown(body: Body): void {
  for (const name of Object.keys(body)) {
    if (UNSUPPORTED[name] !== undefined && body[name] !== null) throw new UnsupportedParameterError(`'${name}' is not supported: ${UNSUPPORTED[name]}`, { param: name });
    if (!SUPPORTED.has(name) && UNSUPPORTED[name] === undefined) throw new UnsupportedParameterError(`'${name}' is not a parameter kvmesh supports for responses`, { param: name });
  }
}

/** Rejects well-formed values that need stored responses or constrained decoding. */
function checkSupported(body: ResponsesBody): void {
  if (body.store === true) throw new UnsupportedParameterError("'store': true is not supported: kvmesh's Responses API is stateless (send store: false)", { param: "store" });
  if (body.previous_response_id !== undefined) {
    throw new UnsupportedParameterError("'previous_response_id' is not supported: responses are not stored; send the conversation as input items", { param: "previous_response_id" });
  }
  const format = body.text?.format?.type;
  if (format !== undefined && format !== "text") {
    throw new UnsupportedParameterError(`'text.format' ${show(format)} is not supported (no constrained decoding): only "text"`, { param: "text" });
  }
  if (body.truncation !== undefined && body.truncation !== "disabled") throw new UnsupportedParameterError("'truncation' must be \"disabled\"", { param: "truncation" });
}

/** Responses function tools `{type, name, parameters}` → chat tools `{type, function: {...}}`. */
function chatTools(tools: ResponsesBody["tools"]): Array<{ type: string; function: object }> | undefined {
  return tools?.map((t, i) => {
    if (t.type !== "function") throw new UnsupportedParameterError(`'tools[${i}].type' ${show(t.type)} is not supported (function tools only)`, { param: `tools[${i}].type` });
    const { type: _type, strict: _strict, ...fn } = t;
    return { type: "function", function: fn };
  });
}

/** Responses tool_choice → chat tool_choice (`{type: "function", name}` → a named function). */
function chatToolChoice(choice: ResponsesBody["tool_choice"]): ToolBody["tool_choice"] {
  return typeof choice === "object" ? { type: "function", function: { name: choice.name } } : choice;
}

/** Parses a POST /v1/responses body. */
export function parseResponsesRequest(raw: Body): ParsedResponsesRequest {
  checkKnown(raw);
  const result = responsesBodySchema.safeParse(raw);
  if (!result.success) throw toInvalidArgument(result.error);
  const body = result.data;
  checkSupported(body);
  const { model, instructions, max_output_tokens: maxOutput, temperature, top_p: topP } = body;
  const messages: ChatMessage[] = [...(instructions !== undefined ? [{ role: "system", content: instructions }] : []), ...inputMessages(body.input)];
  const fields = toolFields({ tools: chatTools(body.tools), tool_choice: chatToolChoice(body.tool_choice), parallel_tool_calls: body.parallel_tool_calls });
  return {
    model,
    stream: body.stream ?? false,
    echo: {
      instructions: instructions ?? null, max_output_tokens: maxOutput ?? null, temperature: temperature ?? null, top_p: topP ?? null,
      tools: body.tools ?? [], tool_choice: body.tool_choice ?? "auto", user: body.user ?? null,
    },
    request: {
      model,
      prompt: { $case: "chat", chat: { messages, toolsJson: fields.toolsJson } },
      sampling: { temperature, topP },
      stop: { maxTokens: maxOutput, stopTokenIds: [], ignoreEos: false },
      stopStrings: [],
      includeStopStrInOutput: false,
      ...(fields.parseToolCalls ? { parseToolCalls: true } : {}),
    },
  };
}
