/**
 * The output items of a Responses object (message, reasoning, function_call) as they grow, and
 * the stream events that open, extend and close each one.
 */
import { randomUUID } from "node:crypto";

/** A stream event without its sequence number. */
export type ResponseEvent = { type: string } & Record<string, unknown>;

/** Short random hex for item ids. */
export function shortId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, "")}`;
}

/** One growing output item. */
export interface OutputItem {
  readonly kind: "message" | "reasoning" | "function_call";
  readonly id: string;
  readonly outputIndex: number;
  /** Text, reasoning text or arguments so far. */
  text: string;
  /** Function calls only. */
  readonly callId?: string;
  readonly name?: string;
  done: boolean;
}

/** The item as the Responses API shows it. */
export function itemJson(item: OutputItem): object {
  const status = item.done ? "completed" : "in_progress";
  switch (item.kind) {
    case "message":
      return { type: "message", id: item.id, status, role: "assistant", content: item.done || item.text !== "" ? [partJson(item)] : [] };
    case "reasoning":
      return { type: "reasoning", id: item.id, summary: [], content: item.done || item.text !== "" ? [partJson(item)] : [] };
    case "function_call":
      return { type: "function_call", id: item.id, call_id: item.callId, name: item.name, arguments: item.text, status };
  }
}

/** The content part of a message or reasoning item. */
function partJson(item: OutputItem): object {
  return item.kind === "reasoning" ? { type: "reasoning_text", text: item.text } : { type: "output_text", text: item.text, annotations: [], logprobs: [] };
}

/** Events that open `item` (empty). */
export function openEvents(item: OutputItem): ResponseEvent[] {
  const added: ResponseEvent = { type: "response.output_item.added", output_index: item.outputIndex, item: itemJson(item) };
  if (item.kind !== "message") return [added];
  return [added, { type: "response.content_part.added", item_id: item.id, output_index: item.outputIndex, content_index: 0, part: { type: "output_text", text: "", annotations: [], logprobs: [] } }];
}

/** The event for more text of `item`. */
export function deltaEvent(item: OutputItem, delta: string): ResponseEvent {
  const at = { item_id: item.id, output_index: item.outputIndex };
  switch (item.kind) {
    case "message":
      return { type: "response.output_text.delta", ...at, content_index: 0, delta, logprobs: [] };
    case "reasoning":
      return { type: "response.reasoning_text.delta", ...at, content_index: 0, delta };
    case "function_call":
      return { type: "response.function_call_arguments.delta", ...at, delta };
  }
}

/** Events that close `item` (marks it done). */
export function closeEvents(item: OutputItem): ResponseEvent[] {
  item.done = true;
  const at = { item_id: item.id, output_index: item.outputIndex };
  const done: ResponseEvent = { type: "response.output_item.done", output_index: item.outputIndex, item: itemJson(item) };
  switch (item.kind) {
    case "message":
      return [
        { type: "response.output_text.done", ...at, content_index: 0, text: item.text, logprobs: [] },
        { type: "response.content_part.done", ...at, content_index: 0, part: partJson(item) },
        done,
      ];
    case "reasoning":
      return [{ type: "response.reasoning_text.done", ...at, content_index: 0, text: item.text }, done];
    case "function_call":
      return [{ type: "response.function_call_arguments.done", ...at, name: item.name, arguments: item.text }, done];
  }
}
