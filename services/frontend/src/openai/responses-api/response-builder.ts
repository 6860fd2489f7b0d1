/**
 * Builds one Responses object from the preprocessor's stream, and the stream events on the way
 * (response.created … response.completed), so the streamed and the whole answer come from the
 * same code. Reasoning, text and tool calls each become an output item; an item closes when
 * another kind of output starts.
 */
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { Usage } from "#contracts/gen/kvmesh/v1/common.js";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { kvmeshExtension } from "../responses.js";
import { closeEvents, deltaEvent, itemJson, openEvents, shortId } from "./output-items.js";
import type { OutputItem, ResponseEvent } from "./output-items.js";
import type { ParsedResponsesRequest } from "./request.js";

/** One response being built. */
export class ResponseBuilder {
  private readonly items: OutputItem[] = [];
  private current: OutputItem | undefined;
  private readonly calls = new Map<number, OutputItem>();
  private sequence = 0;
  private last: PreprocessResponse | undefined;

  constructor(
    readonly id: string,
    private readonly createdAt: number,
    private readonly parsed: ParsedResponsesRequest,
  ) {}

  /** response.created and response.in_progress. */
  start(): object[] {
    const response = this.object("in_progress");
    return this.number([{ type: "response.created", response }, { type: "response.in_progress", response }]);
  }

  /** The events of one preprocessor message (reasoning, then text, then tool-call pieces). */
  push(message: PreprocessResponse): object[] {
    const events: ResponseEvent[] = [];
    if (message.reasoningText) this.extend(events, "reasoning", message.reasoningText);
    if (message.text !== "") this.extend(events, "message", message.text);
    for (const call of message.toolCalls) {
      let item = this.calls.get(call.index);
      if (item === undefined) {
        item = this.open(events, { kind: "function_call", id: shortId("fc"), callId: call.id, name: call.name });
        this.calls.set(call.index, item);
      } else if (item !== this.current) {
        continue; // pieces of a call arrive together; a stray late piece has nowhere to go
      }
      if (call.arguments !== "") {
        item.text += call.arguments;
        events.push(deltaEvent(item, call.arguments));
      }
    }
    if (message.finishReason !== undefined) this.last = message;
    return this.number(events);
  }

  /** Closes the open item and ends with response.completed (or response.incomplete). */
  finish(): object[] {
    const events: ResponseEvent[] = [];
    if (this.items.length === 0) this.open(events, { kind: "message", id: shortId("msg") });
    if (this.current) events.push(...closeEvents(this.current));
    this.current = undefined;
    const status = this.status();
    events.push({ type: status === "completed" ? "response.completed" : "response.incomplete", response: this.object(status) });
    return this.number(events);
  }

  /** The response object now. */
  object(status: "in_progress" | "completed" | "incomplete"): object {
    const usage = this.last?.usage;
    return {
      id: this.id,
      object: "response",
      created_at: this.createdAt,
      status,
      error: null,
      incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
      model: this.parsed.model,
      output: status === "in_progress" ? [] : this.items.map(itemJson),
      parallel_tool_calls: true,
      previous_response_id: null,
      store: false,
      text: { format: { type: "text" } },
      truncation: "disabled",
      metadata: {},
      ...this.parsed.echo,
      usage: usage && status !== "in_progress" ? usageJson(usage) : null,
      ...(this.last ? { kvmesh: kvmeshExtension(this.last) } : {}),
    };
  }

  /** Final status: incomplete when max_output_tokens cut the answer. */
  status(): "completed" | "incomplete" {
    return this.last?.finishReason === FinishReason.FINISH_REASON_LENGTH ? "incomplete" : "completed";
  }

  private extend(events: ResponseEvent[], kind: "message" | "reasoning", text: string): void {
    const item = this.current?.kind === kind ? this.current : this.open(events, { kind, id: shortId(kind === "message" ? "msg" : "rs") });
    item.text += text;
    events.push(deltaEvent(item, text));
  }

  private open(events: ResponseEvent[], init: Pick<OutputItem, "kind" | "id" | "callId" | "name">): OutputItem {
    if (this.current) events.push(...closeEvents(this.current));
    const item: OutputItem = { ...init, outputIndex: this.items.length, text: "", done: false };
    this.items.push(item);
    this.current = item;
    events.push(...openEvents(item));
    return item;
  }

  private number(events: ResponseEvent[]): object[] {
    return events.map((e) => ({ ...e, sequence_number: this.sequence++ }));
  }
}

/** Responses usage, with cached prompt tokens. */
function usageJson(usage: Usage): object {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}
