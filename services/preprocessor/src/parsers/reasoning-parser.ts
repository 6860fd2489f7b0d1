/**
 * Splits `<think>…</think>` reasoning from the answer, streaming (--reasoning-parser):
 * - `deepseek-r1`: the answer starts inside reasoning (R1's template opens `<think>` in the
 *   prompt; a generated `<think>` is dropped), everything up to `</think>` is reasoning.
 * - `qwen3`: reasoning only when the answer starts with `<think>` (`enable_thinking: false`
 *   answers without it); otherwise everything is content.
 * Reasoning never ending (max_tokens) stays reasoning.
 */
import { releasable } from "./partial-tag.js";

/** The names --reasoning-parser accepts. */
export const REASONING_PARSERS = ["deepseek-r1", "qwen3"] as const;

/** A --reasoning-parser value. */
export type ReasoningParserName = (typeof REASONING_PARSERS)[number];

/** What one push (or the flush) yields. */
export interface ReasoningOutput {
  reasoning: string;
  content: string;
}

const OPEN = "<think>";
const CLOSE = "</think>";

/** One request's reasoning splitter. */
export class ReasoningParser {
  private state: "start" | "reasoning" | "content" = "start";
  private buffer = "";

  constructor(private readonly kind: ReasoningParserName) {}

  /** Takes the next text delta. */
  push(text: string): ReasoningOutput {
    const out: ReasoningOutput = { reasoning: "", content: "" };
    this.buffer += text;
    if (this.state === "start") {
      const t = this.buffer.trimStart();
      if (t === "" || (OPEN.startsWith(t) && t !== OPEN)) return out;
      if (t.startsWith(OPEN)) {
        this.state = "reasoning";
        this.buffer = t.slice(OPEN.length);
      } else {
        this.state = this.kind === "deepseek-r1" ? "reasoning" : "content";
      }
    }
    if (this.state === "reasoning") {
      const at = this.buffer.indexOf(CLOSE);
      if (at < 0) {
        const { ready, held } = releasable(this.buffer, CLOSE);
        out.reasoning += ready;
        this.buffer = held;
        return out;
      }
      out.reasoning += this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + CLOSE.length);
      this.state = "content";
    }
    out.content += this.buffer;
    this.buffer = "";
    return out;
  }

  /** The stream ended: releases held-back text. */
  flush(): ReasoningOutput {
    const text = this.buffer;
    this.buffer = "";
    const inReasoning = this.state === "reasoning" || (this.state === "start" && this.kind === "deepseek-r1");
    return inReasoning ? { reasoning: text, content: "" } : { reasoning: "", content: text };
  }
}
