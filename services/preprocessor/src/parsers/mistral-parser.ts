/**
 * Mistral tool calls: `[TOOL_CALLS]` then a JSON array of call objects
 * `[{"name": "f", "arguments": {...}}, ...]`, with answer text before it. (The preprocessor
 * keeps special tokens in the text for this parser, since `[TOOL_CALLS]` is one.)
 */
import { CallSequence } from "./call-sequence.js";
import { releasable } from "./partial-tag.js";
import { emptyOutput, mergeOutput } from "./tool-call-parser.js";
import type { ToolCallParser, ToolParseOutput } from "./tool-call-parser.js";

const MARKER = "[TOOL_CALLS]";

/** The mistral parser of one request. */
export class MistralToolParser implements ToolCallParser {
  private mode: "text" | "open" | "calls" | "after" = "text";
  private buffer = "";
  private calls = new CallSequence(0, /^[\s,]+/, "]");

  /** {@inheritDoc ToolCallParser.push} */
  push(text: string): ToolParseOutput {
    const out = emptyOutput();
    this.buffer += text;
    for (;;) {
      if (this.mode === "after") {
        out.content += this.buffer.trim() === "" ? "" : this.buffer;
        this.buffer = "";
        return out;
      }
      if (this.mode === "text") {
        const at = this.buffer.indexOf(MARKER);
        if (at < 0) {
          const { ready, held } = releasable(this.buffer, MARKER);
          out.content += ready;
          this.buffer = held;
          return out;
        }
        out.content += this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + MARKER.length);
        this.mode = "open";
      }
      if (this.mode === "open") {
        const t = this.buffer.trimStart();
        if (t === "") return out;
        // The array bracket is optional: some versions write bare objects.
        this.buffer = t.startsWith("[") ? t.slice(1) : t;
        this.mode = "calls";
      }
      const r = this.calls.push(this.buffer);
      this.buffer = "";
      mergeOutput(out, r.out);
      if (!r.ended) return out;
      this.mode = "after";
      this.buffer = r.rest;
    }
  }

  /** {@inheritDoc ToolCallParser.flush} */
  flush(): ToolParseOutput {
    const out = emptyOutput();
    if (this.mode === "text") out.content += this.buffer;
    if (this.mode === "open") out.content += MARKER + this.buffer;
    if (this.mode === "calls") mergeOutput(out, this.calls.flush());
    this.buffer = "";
    return out;
  }
}
