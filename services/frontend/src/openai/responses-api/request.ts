/**
 * POST /v1/responses request bodies → the chat pipeline's request. Stateless: `input` (a string
 * or items: messages, function_call, function_call_output) and `instructions` become chat
 * messages; `store: true` and `previous_response_id` need stored responses and are a 400.
 * Unknown and unsupported fields are rejected, as on the chat endpoint.
 */
import { InvalidArgumentError, UnsupportedParameterError } from "#common/errors.js";
import type { ChatMessage, PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { boolField, numberField, requiredString, stringField } from "../fields.js";
import type { Body } from "../fields.js";
import { toolFields } from "../tool-choice.js";
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

/** Rejects unknown fields, and stateful or unsupported values. */
function checkFields(body: Body): void {
  for (const name of Object.keys(body)) {
    if (UNSUPPORTED[name] !== undefined && body[name] !== null) throw new UnsupportedParameterError(`'${name}' is not supported: ${UNSUPPORTED[name]}`, { param: name });
    if (!SUPPORTED.has(name) && UNSUPPORTED[name] === undefined) throw new UnsupportedParameterError(`'${name}' is not a parameter kvmesh supports for responses`, { param: name });
  }
  if (boolField(body, "store") === true) throw new UnsupportedParameterError("'store': true is not supported: kvmesh's Responses API is stateless (send store: false)", { param: "store" });
  if (stringField(body, "previous_response_id") !== undefined) {
    throw new UnsupportedParameterError("'previous_response_id' is not supported: responses are not stored; send the conversation as input items", { param: "previous_response_id" });
  }
  if (boolField(body, "parallel_tool_calls") === false) throw new UnsupportedParameterError("'parallel_tool_calls': false is not supported (no constrained decoding)", { param: "parallel_tool_calls" });
  const format = (body.text as { format?: { type?: unknown } } | null | undefined)?.format?.type;
  if (body.text !== undefined && body.text !== null && format !== undefined && format !== "text") {
    throw new UnsupportedParameterError(`'text.format' ${JSON.stringify(format)} is not supported (no constrained decoding): only "text"`, { param: "text" });
  }
  const truncation = body.truncation;
  if (truncation !== undefined && truncation !== null && truncation !== "disabled") throw new UnsupportedParameterError("'truncation' must be \"disabled\"", { param: "truncation" });
}

/** Responses function tools `{type, name, parameters}` → chat tools `{type, function: {...}}`. */
function chatTools(tools: unknown): unknown[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw new InvalidArgumentError("'tools' must be an array", { param: "tools" });
  return tools.map((tool: unknown, i) => {
    const t = (tool ?? {}) as Body;
    if (t.type !== "function") throw new UnsupportedParameterError(`'tools[${i}].type' ${JSON.stringify(t.type)} is not supported (function tools only)`, { param: `tools[${i}].type` });
    const { type: _type, strict: _strict, ...fn } = t;
    return { type: "function", function: fn };
  });
}

/** Responses tool_choice → chat tool_choice (`{type: "function", name}` → a named function). */
function chatToolChoice(choice: unknown): unknown {
  if (choice !== null && typeof choice === "object" && !Array.isArray(choice)) return { type: "function", function: { name: (choice as Body).name } };
  return choice;
}

/** Parses a POST /v1/responses body. */
export function parseResponsesRequest(body: Body): ParsedResponsesRequest {
  checkFields(body);
  const model = requiredString(body, "model");
  const instructions = stringField(body, "instructions");
  const messages: ChatMessage[] = [...(instructions !== undefined ? [{ role: "system", content: instructions }] : []), ...inputMessages(body.input)];
  const maxOutput = numberField(body, "max_output_tokens", { integer: true, min: 1 });
  const temperature = numberField(body, "temperature", { min: 0, max: 2 });
  const topP = numberField(body, "top_p", { min: 0, minExclusive: true, max: 1 });
  const tools = chatTools(body.tools);
  const fields = toolFields(tools, chatToolChoice(body.tool_choice));
  return {
    model,
    stream: boolField(body, "stream") ?? false,
    echo: {
      instructions: instructions ?? null, max_output_tokens: maxOutput ?? null, temperature: temperature ?? null, top_p: topP ?? null,
      tools: Array.isArray(body.tools) ? body.tools : [], tool_choice: body.tool_choice ?? "auto", user: stringField(body, "user") ?? null,
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
