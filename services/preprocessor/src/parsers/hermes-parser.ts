/**
 * Hermes-style tool calls (Qwen2.5, Qwen3, NousResearch Hermes):
 * `<tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>`, any number of them, with
 * answer text around them. Text that may be the start of a tag is held back; a block whose
 * body is not a call object is passed through as text.
 */
import { JsonCallStreamer } from "./json-call-streamer.js";
import { releasable } from "./partial-tag.js";
import { emptyOutput } from "./tool-call-parser.js";
import type { ToolCallParser, ToolParseOutput } from "./tool-call-parser.js";

const START = "<tool_call>";
const END = "</tool_call>";

/** The hermes parser of one request. */
export class HermesToolParser implements ToolCallParser {
  private buffer = "";
  private call: JsonCallStreamer | undefined;
  private count = 0;
  /** Right after a call: whitespace separating it from what follows is dropped. */
  private afterCall = false;

  /** {@inheritDoc ToolCallParser.push} */
  push(text: string): ToolParseOutput {
    const out = emptyOutput();
    this.buffer += text;
    for (;;) {
      const tag = this.call ? END : START;
      const at = this.buffer.indexOf(tag);
      if (at < 0) {
        const { ready, held } = releasable(this.buffer, tag);
        this.buffer = held;
        this.take(ready, out);
        return out;
      }
      this.take(this.buffer.slice(0, at), out);
      this.buffer = this.buffer.slice(at + tag.length);
      if (this.call) this.closeCall(out, true);
      else this.call = new JsonCallStreamer(this.count);
    }
  }

  /** {@inheritDoc ToolCallParser.flush} */
  flush(): ToolParseOutput {
    const out = emptyOutput();
    const rest = this.buffer;
    this.buffer = "";
    this.take(rest, out);
    if (this.call) this.closeCall(out, false);
    return out;
  }

  /** Text outside a block is content (the whitespace right after a call is dropped); inside, call text. */
  private take(text: string, out: ToolParseOutput): void {
    if (text === "") return;
    if (this.call) {
      out.calls.push(...this.call.push(text).calls);
      return;
    }
    const kept = this.afterCall ? text.trimStart() : text;
    if (kept === "") return;
    this.afterCall = false;
    out.content += kept;
  }

  private closeCall(out: ToolParseOutput, closed: boolean): void {
    const call = this.call as JsonCallStreamer;
    this.call = undefined;
    if (call.emitted) {
      this.count++;
      this.afterCall = true;
    } else out.content += START + call.raw + (closed ? END : "");
  }
}
