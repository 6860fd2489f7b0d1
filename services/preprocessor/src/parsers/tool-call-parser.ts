/**
 * The streaming tool-call parser seam: text deltas of the model's answer in, the plain content
 * and OpenAI-shaped tool-call pieces out. One implementation per published format, chosen by
 * the preprocessor's --tool-call-parser. Parsers work on detokenized text, after stop strings.
 */
import { randomUUID } from "node:crypto";
import type { ToolCallDelta } from "#contracts/gen/kvmesh/v1/preprocessor.js";

/** What one push (or the final flush) yields. */
export interface ToolParseOutput {
  /** Answer text outside tool-call markup. */
  content: string;
  /** Tool-call pieces, in order. */
  calls: ToolCallDelta[];
}

/** One request's streaming parser (stateful; one instance per request). */
export interface ToolCallParser {
  /** Takes the next text delta; text that may still turn into markup is held back. */
  push(text: string): ToolParseOutput;
  /** The stream ended: releases what was held back (an unfinished call becomes content). */
  flush(): ToolParseOutput;
}

/** The names --tool-call-parser accepts. */
export const TOOL_CALL_PARSERS = ["hermes", "llama3-json", "mistral"] as const;

/** A --tool-call-parser value. */
export type ToolCallParserName = (typeof TOOL_CALL_PARSERS)[number];

/** An OpenAI-style call id (`call_` and 24 hex digits). */
export function newToolCallId(): string {
  return `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;
}

/** An empty output, to fill. */
export function emptyOutput(): ToolParseOutput {
  return { content: "", calls: [] };
}

/** Appends `more` to `into` (content concatenated, calls in order). */
export function mergeOutput(into: ToolParseOutput, more: ToolParseOutput): ToolParseOutput {
  into.content += more.content;
  into.calls.push(...more.calls);
  return into;
}
