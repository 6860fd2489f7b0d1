/**
 * Tool calls and reasoning in OpenAI's chat shapes: streamed `delta.tool_calls` pieces
 * (`{index, id, type, function: {name, arguments}}` first, then `{index, function: {arguments}}`),
 * whole `message.tool_calls` joined from the pieces, and finish_reason "tool_calls".
 */
import type { ToolCallDelta } from "#contracts/gen/kvmesh/v1/preprocessor.js";

/** One streamed piece as OpenAI sends it. */
export function toolCallDeltaJson(d: ToolCallDelta): object {
  return d.id !== ""
    ? { index: d.index, id: d.id, type: "function", function: { name: d.name, arguments: d.arguments } }
    : { index: d.index, function: { arguments: d.arguments } };
}

/** A whole message's tool_calls, joined from every piece in order. */
export function joinToolCalls(deltas: readonly ToolCallDelta[]): object[] {
  const calls: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }> = [];
  for (const d of deltas) {
    if (d.id !== "") calls[d.index] = { id: d.id, type: "function", function: { name: d.name, arguments: "" } };
    const call = calls[d.index];
    if (call) call.function.arguments += d.arguments;
  }
  return calls.filter((c) => c !== undefined);
}

/** OpenAI's finish_reason once tool calls were made: "tool_calls" instead of "stop". */
export function finishWithTools(finish: string | null, sawToolCalls: boolean): string | null {
  return finish === "stop" && sawToolCalls ? "tool_calls" : finish;
}
