/**
 * The parsers of one request chained over its text deltas: reasoning first (the tool parser
 * only sees the answer after `</think>`), then tool calls. Fills a PreprocessResponse's
 * `text`, `reasoningText` and `toolCalls` in place.
 */
import { UnsupportedParameterError } from "#common/errors.js";
import type { PreprocessRequest, PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { HermesToolParser } from "./hermes-parser.js";
import { Llama3JsonToolParser } from "./llama3-json-parser.js";
import { MistralToolParser } from "./mistral-parser.js";
import { ReasoningParser } from "./reasoning-parser.js";
import type { ReasoningOutput, ReasoningParserName } from "./reasoning-parser.js";
import type { ToolCallParser, ToolCallParserName } from "./tool-call-parser.js";

/** A new parser of `name`. */
export function createToolCallParser(name: ToolCallParserName): ToolCallParser {
  switch (name) {
    case "hermes":
      return new HermesToolParser();
    case "llama3-json":
      return new Llama3JsonToolParser();
    case "mistral":
      return new MistralToolParser();
  }
}

/** One request's chain; either parser may be absent. */
export class StructuredOutput {
  private readonly reasoning: ReasoningParser | undefined;
  private readonly tools: ToolCallParser | undefined;

  constructor(options: { reasoning?: ReasoningParserName; tools?: ToolCallParserName }) {
    this.reasoning = options.reasoning === undefined ? undefined : new ReasoningParser(options.reasoning);
    this.tools = options.tools === undefined ? undefined : createToolCallParser(options.tools);
  }

  /** True when some parser is active (otherwise responses pass unchanged). */
  get active(): boolean {
    return this.reasoning !== undefined || this.tools !== undefined;
  }

  /** Rewrites `response` (its `text` is the raw delta); `last` flushes every parser. */
  apply(response: PreprocessResponse, last: boolean): void {
    if (!this.active) return;
    const split = this.split(response.text, last);
    let content = split.content;
    if (this.tools) {
      const a = this.tools.push(content);
      const b = last ? this.tools.flush() : { content: "", calls: [] };
      content = a.content + b.content;
      response.toolCalls.push(...a.calls, ...b.calls);
    }
    response.text = content;
    if (split.reasoning !== "") response.reasoningText = split.reasoning;
  }

  private split(text: string, last: boolean): ReasoningOutput {
    if (!this.reasoning) return { reasoning: "", content: text };
    const a = this.reasoning.push(text);
    if (!last) return a;
    const b = this.reasoning.flush();
    return { reasoning: a.reasoning + b.reasoning, content: a.content + b.content };
  }
}

/** The parsers a preprocessor was started with (--tool-call-parser, --reasoning-parser). */
export interface ParserConfig {
  readonly toolCall?: ToolCallParserName;
  readonly reasoning?: ReasoningParserName;
}

/**
 * The chain for one request: tool calls when the request asks for them (an error when no parser
 * is configured: answering with unparsed markup would silently drop the calls), reasoning for
 * chats when configured.
 */
export function structuredOutputFor(request: Pick<PreprocessRequest, "parseToolCalls" | "prompt">, config: ParserConfig): StructuredOutput {
  if (request.parseToolCalls && config.toolCall === undefined) {
    throw new UnsupportedParameterError(
      "tools with tool_choice \"auto\" need a tool-call parser: start the preprocessor with --tool-call-parser hermes|llama3-json|mistral (or send tool_choice \"none\")",
      { param: "tools" },
    );
  }
  const chat = request.prompt?.$case === "chat";
  return new StructuredOutput({ tools: request.parseToolCalls ? config.toolCall : undefined, reasoning: chat ? config.reasoning : undefined });
}

/** Whether special tokens must stay in the text for the parser (Mistral's `[TOOL_CALLS]` is one). */
export function parserNeedsSpecialTokens(request: Pick<PreprocessRequest, "parseToolCalls">, config: ParserConfig): boolean {
  return request.parseToolCalls === true && config.toolCall === "mistral";
}
