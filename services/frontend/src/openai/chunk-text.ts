/**
 * The JSON text of streamed chunks. Most chunks of a stream differ only in their text: for
 * those the constant parts are serialised once per request and the text spliced in, instead
 * of building and stringifying the whole chunk object per token. Every other chunk (first,
 * last, logprobs, usage, tool calls, reasoning) goes through {@link chunkJson}; both give the
 * same bytes (a unit test holds them to it).
 */
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { chunkJson } from "./responses.js";
import type { ChunkOptions, ResponseMeta } from "./responses.js";

/** Serialises one request's chunks. */
export class ChunkText {
  private readonly head: string;
  private readonly tail: string;

  constructor(private readonly meta: ResponseMeta) {
    const object = meta.kind === "chat" ? "chat.completion.chunk" : "text_completion";
    const start = `{"id":${JSON.stringify(meta.id)},"object":"${object}","created":${meta.created},"model":${JSON.stringify(meta.model)},"choices":[{"index":0,`;
    this.head = meta.kind === "chat" ? `${start}"delta":{"content":` : `${start}"text":`;
    this.tail = meta.kind === "chat" ? '},"logprobs":null,"finish_reason":null}]}' : ',"logprobs":null,"finish_reason":null}]}';
  }

  /** The chunk of `message` as JSON text (what `JSON.stringify(chunkJson(...))` gives). */
  of(message: PreprocessResponse, options: ChunkOptions): string {
    return plain(message, options) ? `${this.head}${JSON.stringify(message.text)}${this.tail}` : JSON.stringify(chunkJson(this.meta, message, options));
  }
}

/** A chunk with nothing but text: not the first or last, no logprobs, usage, tool calls or reasoning. */
function plain(message: PreprocessResponse, options: ChunkOptions): boolean {
  return !options.first && message.finishReason === undefined && !(options.logprobs && message.logprobs.length > 0)
    && !(options.usage === true && message.usage !== undefined) && message.toolCalls.length === 0 && (message.reasoningText ?? "") === "";
}
