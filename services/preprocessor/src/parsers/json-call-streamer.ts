/**
 * Streams one JSON tool call, `{"name": "...", "arguments": {...}}` ("parameters" also, as
 * Llama 3 writes), as OpenAI deltas: once the name is read, a first piece with the call's id
 * and name, then the arguments' JSON text in pieces as it arrives. An object whose name does not
 * come first is emitted whole when it completes. A string-aware brace scanner finds its end.
 */
import type { ToolCallDelta } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { newToolCallId } from "./tool-call-parser.js";

/** The name-first prefix, up to the start of the arguments value. */
const NAME_FIRST = /^\s*\{\s*"name"\s*:\s*("(?:[^"\\]|\\.)*")\s*,\s*"(?:arguments|parameters)"\s*:\s*/;

/** What one push yields. */
export interface CallPush {
  calls: ToolCallDelta[];
  /** The object's closing brace was read. */
  complete: boolean;
  /** Text after the closing brace (not part of this call). */
  rest: string;
}

/** A string-aware JSON nesting tracker, fed one character at a time. */
class JsonScan {
  depth = 0;
  private inString = false;
  private escape = false;

  /** Reads `ch`; returns the depth before it and whether it was structural (outside a string). */
  step(ch: string): { before: number; structural: boolean } {
    const before = this.depth;
    if (this.inString) {
      if (this.escape) this.escape = false;
      else if (ch === "\\") this.escape = true;
      else if (ch === '"') this.inString = false;
      return { before, structural: false };
    }
    if (ch === '"') this.inString = true;
    else if (ch === "{" || ch === "[") this.depth++;
    else if (ch === "}" || ch === "]") this.depth--;
    return { before, structural: ch !== '"' };
  }
}

/** One call object's streaming state. */
export class JsonCallStreamer {
  private text = "";
  private readonly whole = new JsonScan();
  private scanned = 0;
  private started = false;
  private done = false;
  private id = "";
  private argsStart = -1;
  private readonly args = new JsonScan();
  private argsScanned = 0;
  private argsEnd = -1;
  private argsSent = 0;

  constructor(private readonly index: number) {}

  /** The text read so far (for a call that turns out not to be one). */
  get raw(): string {
    return this.text;
  }

  /** True once the first piece (id and name) went out. */
  get emitted(): boolean {
    return this.started;
  }

  /** True when the text cannot be a call object (its first character is not `{`). */
  get invalid(): boolean {
    const t = this.text.trimStart();
    return t.length > 0 && t[0] !== "{";
  }

  /** Reads more of the object. */
  push(more: string): CallPush {
    if (this.done) return { calls: [], complete: true, rest: more };
    this.text += more;
    const calls: ToolCallDelta[] = [];
    let end = -1;
    for (; this.scanned < this.text.length; this.scanned++) {
      const ch = this.text[this.scanned];
      if (this.whole.depth === 0 && /\s/.test(ch)) continue;
      const { before } = this.whole.step(ch);
      if (before === 1 && this.whole.depth === 0) {
        end = this.scanned + 1;
        break;
      }
    }
    const objectText = end < 0 ? this.text : this.text.slice(0, end);
    this.streamNamed(objectText, calls);
    if (end < 0) return { calls, complete: false, rest: "" };
    this.done = true;
    const rest = this.text.slice(end);
    this.text = objectText;
    if (!this.started) this.emitWhole(objectText, calls);
    return { calls, complete: true, rest };
  }

  /** Fast path: name first, then the arguments as they arrive. */
  private streamNamed(objectText: string, calls: ToolCallDelta[]): void {
    if (!this.started) {
      const m = NAME_FIRST.exec(objectText);
      if (!m) return;
      this.started = true;
      this.id = newToolCallId();
      this.argsStart = m[0].length;
      this.argsScanned = this.argsStart;
      this.argsSent = this.argsStart;
      calls.push({ index: this.index, id: this.id, name: JSON.parse(m[1]) as string, arguments: "" });
    }
    for (; this.argsEnd < 0 && this.argsScanned < objectText.length; this.argsScanned++) {
      const { before, structural } = this.args.step(objectText[this.argsScanned]);
      const ch = objectText[this.argsScanned];
      if (before === 0 && structural && (ch === "," || ch === "}")) this.argsEnd = this.argsScanned;
    }
    const upTo = this.argsEnd >= 0 ? this.argsEnd : objectText.length;
    let from = this.argsSent;
    // Whitespace before the value is not part of it; after it (before the object's end) it
    // may be: hold trailing whitespace back until more of the value follows.
    if (from === this.argsStart) while (from < upTo && /\s/.test(objectText[from])) from++;
    const piece = objectText.slice(from, upTo).replace(/\s+$/, "");
    if (piece.length > 0) {
      calls.push({ index: this.index, id: "", name: "", arguments: piece });
      this.argsSent = from + piece.length;
    }
  }

  /** Slow path: a complete object whose name did not come first. */
  private emitWhole(objectText: string, calls: ToolCallDelta[]): void {
    let value: unknown;
    try {
      value = JSON.parse(objectText);
    } catch {
      return;
    }
    const { name, arguments: args, parameters } = (value ?? {}) as { name?: unknown; arguments?: unknown; parameters?: unknown };
    if (typeof name !== "string") return;
    const a = args ?? parameters ?? {};
    this.started = true;
    this.id = newToolCallId();
    calls.push({ index: this.index, id: this.id, name, arguments: typeof a === "string" ? a : JSON.stringify(a) });
  }
}
