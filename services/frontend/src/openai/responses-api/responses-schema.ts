/**
 * The zod schema of a POST /v1/responses body, built from the same rules as the chat and
 * completion schemas (request-schemas.ts), so the three endpoints word their 400s alike and stop
 * at the same proto ranges. It says what is malformed; what is well formed but stateful or
 * unsupported (store: true, truncation "auto", a web_search tool...) request.ts answers with
 * unsupported_parameter, and the items of `input` are read by input-items.ts.
 */
import { z } from "zod";
import { UINT32_MAX } from "#common/limits.js";
import { optionalBool, optionalNumber, optionalString, requiredString, show } from "../rules.js";
import { checkAutoHasTools } from "../tool-choice.js";

/** `input`: a non-empty string or a non-empty list of items. */
const input = z.unknown().optional().superRefine((v, ctx) => {
  if (v === "") ctx.addIssue({ code: "custom", message: "must not be empty" });
  else if (typeof v !== "string" && (!Array.isArray(v) || v.length === 0)) ctx.addIssue({ code: "custom", message: "must be a non-empty string or a non-empty list of items" });
});

/** A Responses tool `{type, name, parameters}`; only a function tool's name is checked here. */
const tool = z.looseObject({ type: z.unknown().optional(), name: z.unknown().optional() }, { error: "must be an object" }).superRefine((t, ctx) => {
  if (t.type === "function" && (typeof t.name !== "string" || t.name === "")) ctx.addIssue({ code: "custom", path: ["name"], message: "must be a non-empty string" });
});

/** A Responses tool_choice: a mode or `{type: "function", name}`. */
const toolChoice = z.union([z.enum(["auto", "none", "required"]), z.record(z.string(), z.unknown())], { error: (iss) => `must be "auto", "none", "required" or a function, got ${show(iss.input)}` })
  .nullish().transform((v) => v ?? undefined);

/** POST /v1/responses. */
export const responsesBodySchema = z.object({
  model: requiredString,
  instructions: optionalString,
  input,
  max_output_tokens: optionalNumber({ integer: true, min: 1, max: UINT32_MAX }),
  temperature: optionalNumber({ min: 0, max: 2 }),
  top_p: optionalNumber({ min: 0, minExclusive: true, max: 1 }),
  tools: z.array(tool, { error: "must be an array" }).nullish().transform((v) => v ?? undefined),
  tool_choice: toolChoice,
  parallel_tool_calls: optionalBool,
  stream: optionalBool,
  store: optionalBool,
  previous_response_id: optionalString,
  user: optionalString,
  text: z.looseObject({ format: z.looseObject({ type: z.unknown() }, { error: "must be an object" }).nullish() }, { error: "must be an object" }).nullish(),
  truncation: optionalString,
}).superRefine(checkAutoHasTools);

/** A validated Responses body. */
export type ResponsesBody = z.output<typeof responsesBodySchema>;
