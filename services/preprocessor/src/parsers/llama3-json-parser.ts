/**
 * Llama 3.x JSON tool calls: an answer that starts with `{` (or `<|python_tag|>`) is a run of
 * call objects `{"name": "f", "parameters": {...}}` separated by `;`; any other answer is text.
 */
import { CallSequence } from "./call-sequence.js";
import { emptyOutput, mergeOutput } from "./tool-call-parser.js";
import type { ToolCallParser, ToolParseOutput } from "./tool-call-parser.js";

const PYTHON_TAG = "<|python_tag|>";

/** The llama3-json parser of one request. */
export class Llama3JsonToolParser implements ToolCallParser {
  private mode: "undecided" | "calls" | "text" = "undecided";
  private buffer = "";
  private readonly calls = new CallSequence(0, /^[\s;]+/);

  /** {@inheritDoc ToolCallParser.push} */
  push(text: string): ToolParseOutput {
    const out = emptyOutput();
    if (this.mode === "text") {
      out.content += text;
      return out;
    }
    if (this.mode === "undecided") {
      this.buffer += text;
      const t = this.buffer.trimStart();
      if (t === "" || (PYTHON_TAG.startsWith(t) && t !== PYTHON_TAG)) return out;
      if (t.startsWith(PYTHON_TAG) || t.startsWith("{")) {
        this.mode = "calls";
        text = t.startsWith(PYTHON_TAG) ? t.slice(PYTHON_TAG.length) : t;
      } else {
        this.mode = "text";
        out.content += this.buffer;
        this.buffer = "";
        return out;
      }
    }
    const r = this.calls.push(text);
    mergeOutput(out, r.out);
    if (r.ended) {
      this.mode = "text";
      out.content += r.rest;
    }
    return out;
  }

  /** {@inheritDoc ToolCallParser.flush} */
  flush(): ToolParseOutput {
    const out = emptyOutput();
    if (this.mode === "undecided") out.content += this.buffer;
    if (this.mode === "calls") mergeOutput(out, this.calls.flush());
    this.buffer = "";
    return out;
  }
}
