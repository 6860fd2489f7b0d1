/**
 * Chat messages as the wire carries them (JSON strings for content parts and tool calls) turned
 * into the plain objects Hugging Face chat templates expect: `{ role, content, name?,
 * tool_call_id?, tool_calls? }` with text content parts joined into one string.
 */
import { InvalidArgumentError, UnsupportedParameterError } from "#common/errors.js";
import { parseJsonSafely } from "#common/safe-json.js";
import type { ChatMessage } from "#contracts/gen/kvmesh/v1/preprocessor.js";

/** One message as a template sees it. */
export interface TemplateMessage {
  role: string;
  content: string;
  name?: string;
  tool_call_id?: string;
  tool_calls?: unknown[];
}

/**
 * Parses a JSON field of the request, naming the field when it is malformed or nested deeper
 * than MAX_JSON_DEPTH (the Preprocessor is a door into the mesh too, not only the frontend).
 */
export function parseJsonField(text: string, param: string): unknown {
  return parseJsonSafely(text, { param });
}

/** Text parts concatenated (newline-separated, as vLLM does); any other part type is unsupported. */
function contentFromParts(json: string, param: string): string {
  const parts = parseJsonField(json, param);
  if (!Array.isArray(parts)) throw new InvalidArgumentError(`${param} must be an array of content parts`, { param });
  return parts
    .map((part: unknown, i) => {
      if (typeof part === "string") return part;
      const { type, text } = (part ?? {}) as { type?: unknown; text?: unknown };
      if (type === "text" && typeof text === "string") return text;
      if (type === "text") throw new InvalidArgumentError(`${param}[${i}].text must be a string`, { param });
      throw new UnsupportedParameterError(`content part type "${String(type)}" is not supported (only "text")`, { param });
    })
    .join("\n");
}

/** Tool calls with `function.arguments` as an object where it is a JSON string (templates iterate it). */
function toolCallsFrom(json: string, param: string): unknown[] {
  const calls = parseJsonField(json, param);
  if (!Array.isArray(calls)) throw new InvalidArgumentError(`${param} must be an array`, { param });
  return calls.map((call: unknown) => {
    const fn = (call as { function?: { arguments?: unknown } } | null)?.function;
    if (!fn || typeof fn.arguments !== "string") return call;
    try {
      return { ...(call as object), function: { ...fn, arguments: JSON.parse(fn.arguments) as unknown } };
    } catch {
      return call;
    }
  });
}

/** The template view of the request's messages. */
export function toTemplateMessages(messages: readonly ChatMessage[]): TemplateMessage[] {
  if (messages.length === 0) throw new InvalidArgumentError("messages must not be empty", { param: "messages" });
  return messages.map((m, i) => {
    if (m.role === "") throw new InvalidArgumentError(`messages[${i}].role is required`, { param: "messages" });
    const param = `messages[${i}]`;
    const content = m.contentPartsJson !== undefined ? contentFromParts(m.contentPartsJson, `${param}.content`) : (m.content ?? "");
    const out: TemplateMessage = { role: m.role, content };
    if (m.name !== undefined) out.name = m.name;
    if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
    if (m.toolCallsJson !== undefined) out.tool_calls = toolCallsFrom(m.toolCallsJson, `${param}.tool_calls`);
    return out;
  });
}
