/**
 * A run of JSON call objects, as Llama 3 (`{...}; {...}`) and Mistral (`[{...}, {...}]`) write
 * them: each object streams through a JsonCallStreamer; separators between objects are
 * skipped; the run ends at its closer (Mistral's `]`) or at the first other character, whose
 * text is handed back to the caller as plain content.
 */
import { JsonCallStreamer } from "./json-call-streamer.js";
import { emptyOutput } from "./tool-call-parser.js";
import type { ToolParseOutput } from "./tool-call-parser.js";

/** What one push yields. */
export interface SequencePush {
  out: ToolParseOutput;
  /** The run is over; `rest` is the text after it. */
  ended: boolean;
  rest: string;
}

/** One run of call objects. */
export class CallSequence {
  private current: JsonCallStreamer | undefined;
  private buffer = "";

  /**
   * @param firstIndex the tool_calls index of the run's first call
   * @param separators characters skipped between objects
   * @param closer the character that ends the run, if any
   */
  constructor(private nextIndex: number, private readonly separators: RegExp, private readonly closer?: string) {}

  /** The index the next call would get. */
  get callCount(): number {
    return this.nextIndex;
  }

  /** Reads more text of the run. */
  push(text: string): SequencePush {
    const out = emptyOutput();
    this.buffer += text;
    for (;;) {
      if (this.current) {
        const r = this.current.push(this.buffer);
        this.buffer = "";
        out.calls.push(...r.calls);
        if (!r.complete) return { out, ended: false, rest: "" };
        this.endCall(out);
        this.buffer = r.rest;
        continue;
      }
      this.buffer = this.buffer.replace(this.separators, "");
      if (this.buffer === "") return { out, ended: false, rest: "" };
      if (this.closer !== undefined && this.buffer.startsWith(this.closer)) return this.end(out, this.buffer.slice(this.closer.length));
      if (this.buffer[0] !== "{") return this.end(out, this.buffer);
      this.current = new JsonCallStreamer(this.nextIndex);
    }
  }

  /** The stream ended inside the run: an unfinished object that never became a call is content. */
  flush(): ToolParseOutput {
    const out = emptyOutput();
    if (this.current && !this.current.emitted) out.content += this.current.raw;
    this.current = undefined;
    return out;
  }

  private endCall(out: ToolParseOutput): void {
    if (this.current?.emitted) this.nextIndex++;
    else out.content += this.current?.raw ?? "";
    this.current = undefined;
  }

  private end(out: ToolParseOutput, rest: string): SequencePush {
    this.buffer = "";
    return { out, ended: true, rest };
  }
}
