/**
 * Responses `input` → chat messages: a string is one user message; items are messages
 * (`content` a string or input_text/output_text parts), `function_call` (consecutive ones join
 * one assistant message's tool_calls) and `function_call_output` (a `tool` message). Reasoning
 * items a client sends back are dropped, as the chat templates drop earlier reasoning.
 */
import { InvalidArgumentError, UnsupportedParameterError } from "#common/errors.js";
import type { ChatMessage } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { Body } from "../schemas.js";

const ROLES = new Set(["user", "system", "developer", "assistant"]);

/** The text of a message item's content. */
function contentText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw new InvalidArgumentError(`'${param}' must be a string or a list of content parts`, { param });
  return content
    .map((part: unknown, j) => {
      const p = (part ?? {}) as Body;
      if ((p.type === "input_text" || p.type === "output_text" || p.type === "text") && typeof p.text === "string") return p.text;
      throw new UnsupportedParameterError(`'${param}[${j}].type' ${JSON.stringify(p.type)} is not supported (text parts only)`, { param: `${param}[${j}].type` });
    })
    .join("\n");
}

function requireString(item: Body, key: string, param: string): string {
  const value = item[key];
  if (typeof value !== "string") throw new InvalidArgumentError(`'${param}.${key}' must be a string`, { param: `${param}.${key}` });
  return value;
}

/** One item as a chat message, or a tool call to join onto the previous assistant message. */
function itemMessage(raw: unknown, i: number, out: ChatMessage[]): void {
  const param = `input[${i}]`;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new InvalidArgumentError(`'${param}' must be an object`, { param });
  const item = raw as Body;
  const type = item.type ?? "message";
  if (type === "message") {
    if (!ROLES.has(item.role as string)) throw new InvalidArgumentError(`'${param}.role' must be user, system, developer or assistant`, { param: `${param}.role` });
    out.push({ role: item.role === "developer" ? "system" : (item.role as string), content: contentText(item.content, `${param}.content`) });
    return;
  }
  if (type === "function_call") {
    const call = { id: requireString(item, "call_id", param), type: "function", function: { name: requireString(item, "name", param), arguments: requireString(item, "arguments", param) } };
    const last = out.at(-1);
    if (last?.role === "assistant" && last.toolCallsJson !== undefined) last.toolCallsJson = JSON.stringify([...(JSON.parse(last.toolCallsJson) as unknown[]), call]);
    else out.push({ role: "assistant", content: "", toolCallsJson: JSON.stringify([call]) });
    return;
  }
  if (type === "function_call_output") {
    const output = item.output;
    const content = typeof output === "string" ? output : contentText(output, `${param}.output`);
    out.push({ role: "tool", toolCallId: requireString(item, "call_id", param), content });
    return;
  }
  if (type === "reasoning") return;
  throw new UnsupportedParameterError(`'${param}.type' ${JSON.stringify(type)} is not supported (message, function_call, function_call_output)`, { param: `${param}.type` });
}

/** The chat messages of `input`. */
export function inputMessages(input: unknown): ChatMessage[] {
  if (typeof input === "string") {
    if (input === "") throw new InvalidArgumentError("'input' must not be empty", { param: "input" });
    return [{ role: "user", content: input }];
  }
  if (!Array.isArray(input) || input.length === 0) throw new InvalidArgumentError("'input' must be a non-empty string or a non-empty list of items", { param: "input" });
  const out: ChatMessage[] = [];
  input.forEach((item: unknown, i) => itemMessage(item, i, out));
  if (out.length === 0) throw new InvalidArgumentError("'input' holds no message", { param: "input" });
  return out;
}
