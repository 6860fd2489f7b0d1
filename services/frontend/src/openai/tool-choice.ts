/**
 * `tools` and `tool_choice` of a chat request (HTTP and gRPC alike): which tool calls kvmesh
 * parses. `auto` (the default when tools are given) parses them with the preprocessor's
 * --tool-call-parser; `none` does not. `required` and a named function need constrained
 * decoding, which is not built: 400 unsupported_parameter rather than an answer that may not
 * call the tool.
 */
import { InvalidArgumentError, UnsupportedParameterError } from "#common/errors.js";

/** What the pipeline gets. */
export interface ToolFields {
  /** The tools for the chat template, as JSON. */
  toolsJson: string | undefined;
  /** Parse tool calls out of the answer. */
  parseToolCalls: boolean;
}

/** Checks each tool is `{type: "function", function: {name, ...}}`. */
function checkTools(tools: unknown): unknown[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw new InvalidArgumentError("'tools' must be an array", { param: "tools" });
  tools.forEach((tool: unknown, i) => {
    const t = (tool ?? {}) as { type?: unknown; function?: { name?: unknown } };
    if (t.type !== "function") {
      throw new UnsupportedParameterError(`'tools[${i}].type' must be "function", got ${JSON.stringify(t.type)}`, { param: `tools[${i}].type` });
    }
    if (typeof t.function?.name !== "string" || t.function.name === "") {
      throw new InvalidArgumentError(`'tools[${i}].function.name' must be a non-empty string`, { param: `tools[${i}].function.name` });
    }
  });
  return tools;
}

/** Validates `tools` and `tool_choice` (null counts as absent). */
export function toolFields(tools: unknown, toolChoice: unknown): ToolFields {
  const list = checkTools(tools);
  const hasTools = list !== undefined && list.length > 0;
  const toolsJson = list === undefined ? undefined : JSON.stringify(list);
  if (toolChoice === undefined || toolChoice === null) return { toolsJson, parseToolCalls: hasTools };
  if (toolChoice === "none") return { toolsJson, parseToolCalls: false };
  if (toolChoice === "required" || (typeof toolChoice === "object" && !Array.isArray(toolChoice))) {
    throw new UnsupportedParameterError(
      "'tool_choice' \"required\" or a named function needs constrained decoding, which kvmesh does not have: use \"auto\" or \"none\"",
      { param: "tool_choice" },
    );
  }
  if (toolChoice !== "auto") throw new InvalidArgumentError(`'tool_choice' must be "auto", "none", "required" or a function, got ${JSON.stringify(toolChoice)}`, { param: "tool_choice" });
  if (!hasTools) throw new InvalidArgumentError("'tool_choice' \"auto\" needs a non-empty 'tools' list", { param: "tool_choice" });
  return { toolsJson, parseToolCalls: true };
}

/** The gRPC form: tools and tool_choice as JSON text. */
export function toolChoiceFromJson(toolsJson: string | undefined, toolChoiceJson: string | undefined): ToolFields {
  const parse = (text: string | undefined, param: string): unknown => {
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new InvalidArgumentError(`${param} is not valid JSON`, { param });
    }
  };
  return toolFields(parse(toolsJson, "tools"), parse(toolChoiceJson, "tool_choice"));
}
