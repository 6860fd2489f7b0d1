/**
 * `tools`, `tool_choice` and `parallel_tool_calls` of a chat request (HTTP and gRPC alike, both
 * through chatBodySchema): which tool calls kvmesh parses. `auto` (the default when tools are
 * given) parses them with the preprocessor's --tool-call-parser; `none` does not. `required`, a
 * named function and parallel_tool_calls: false need constrained decoding, which is not built:
 * 400 unsupported_parameter rather than an answer that may not honour them. The zod schemas say
 * what is malformed (invalid_request_error); toolFields says what is well formed but unsupported.
 */
import { z } from "zod";
import { UnsupportedParameterError } from "#common/errors.js";
import { show } from "./rules.js";

/**
 * One tool. Only a function tool's name is checked here: a tool of another type is well formed
 * but unsupported, which toolFields reports (as unsupported_parameter, not invalid).
 */
const toolSchema = z.looseObject({ type: z.unknown().optional(), function: z.unknown().optional() }, { error: "must be an object" }).superRefine((tool, ctx) => {
  if (tool.type !== "function") return;
  const name = (tool.function as { name?: unknown } | null | undefined)?.name;
  if (typeof name !== "string" || name === "") ctx.addIssue({ code: "custom", path: ["function", "name"], message: "must be a non-empty string" });
});

/** `tools`: a list of tools; null counts as absent. */
export const toolsSchema = z.array(toolSchema, { error: "must be an array" }).nullish().transform((v) => v ?? undefined);

const TOOL_CHOICE_RULE = (input: unknown) => `must be "auto", "none", "required" or a function, got ${show(input)}`;

/** `tool_choice`: a mode or a named function (an object); null counts as absent. */
export const toolChoiceSchema = z.union([z.enum(["auto", "none", "required"]), z.record(z.string(), z.unknown())], { error: (iss) => TOOL_CHOICE_RULE(iss.input) })
  .nullish().transform((v) => v ?? undefined);

/** A tool list and choice as validated by the schemas. */
export interface ToolBody {
  readonly tools?: ReadonlyArray<{ type?: unknown }>;
  readonly tool_choice?: string | Record<string, unknown>;
  readonly parallel_tool_calls?: boolean;
}

/** `tool_choice: "auto"` with no tools is malformed (a zod refinement of the chat body). */
export function checkAutoHasTools(body: ToolBody, ctx: z.RefinementCtx): void {
  if (body.tool_choice === "auto" && (body.tools === undefined || body.tools.length === 0)) {
    ctx.addIssue({ code: "custom", path: ["tool_choice"], message: "\"auto\" needs a non-empty 'tools' list" });
  }
}

/** What the pipeline gets. */
export interface ToolFields {
  /** The tools for the chat template, as JSON. */
  toolsJson: string | undefined;
  /** Parse tool calls out of the answer. */
  parseToolCalls: boolean;
}

/** The pipeline's tool fields of a validated body; throws unsupported_parameter for what needs constrained decoding. */
export function toolFields(body: ToolBody): ToolFields {
  body.tools?.forEach((tool, i) => {
    if (tool.type !== "function") throw new UnsupportedParameterError(`'tools[${i}].type' must be "function", got ${show(tool.type)}`, { param: `tools[${i}].type` });
  });
  if (body.parallel_tool_calls === false) {
    throw new UnsupportedParameterError("'parallel_tool_calls': false is not supported (no constrained decoding); true is the default", { param: "parallel_tool_calls" });
  }
  const toolsJson = body.tools === undefined ? undefined : JSON.stringify(body.tools);
  const hasTools = body.tools !== undefined && body.tools.length > 0;
  const choice = body.tool_choice;
  if (choice === "required" || typeof choice === "object") {
    throw new UnsupportedParameterError(
      "'tool_choice' \"required\" or a named function needs constrained decoding, which kvmesh does not have: use \"auto\" or \"none\"",
      { param: "tool_choice" },
    );
  }
  return { toolsJson, parseToolCalls: choice === "none" ? false : hasTools };
}
