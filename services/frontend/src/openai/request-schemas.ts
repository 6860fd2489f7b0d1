/**
 * The one schema per OpenAI request body (zod 4). The REST gateway and the gRPC Frontend API
 * both validate through these, so both doors reject exactly the same requests with the same
 * `param`. Ranges end where the proto field ends (uint32 token counts, int32 top_k, float
 * penalties), so nothing reaches protobuf encoding out of range.
 */
import { z } from "zod";
import { FLOAT32_MAX, INT32_MAX, UINT32_MAX } from "#common/limits.js";
import { checkAutoHasTools, toolChoiceSchema, toolsSchema } from "./tool-choice.js";
import { optionalBool, optionalNumber, optionalSeed, optionalString, optionalTokenIds, requiredString, show } from "./rules.js";

/** Most stop strings a request may hold. */
export const MAX_STOP_STRINGS = 16;

const STOP_RULE = "must be a non-empty string or a list of non-empty strings";

/** `stop`: one string or up to 16, as a list; every fault is reported on `stop` itself. */
const stop = z.union([z.string(), z.array(z.string())], { error: STOP_RULE })
  .nullish()
  .transform((v) => (v == null ? [] : typeof v === "string" ? [v] : v))
  .refine((list) => list.every((s) => s !== ""), { error: STOP_RULE })
  .refine((list) => list.length <= MAX_STOP_STRINGS, { error: (iss) => `may hold at most ${MAX_STOP_STRINGS} strings, got ${(iss.input as string[]).length}` });

const maxTokens = optionalNumber({ integer: true, min: 1, max: UINT32_MAX });

/** Most logit_bias entries a request may hold (OpenAI's limit). */
export const MAX_LOGIT_BIAS_ENTRIES = 300;
const LOGIT_BIAS_RULE = "must map token ids (decimal integer strings) to biases in [-100, 100]";

/**
 * `logit_bias`: token id string → bias, as OpenAI sends it; every fault is reported on
 * `logit_bias` itself. Ids past the vocabulary are the worker's check (it knows the vocabulary).
 */
const logitBias = z.record(z.string(), z.unknown(), { error: LOGIT_BIAS_RULE })
  .nullish()
  .transform((v, ctx) => {
    if (v == null) return undefined;
    const entries = Object.entries(v);
    if (entries.length > MAX_LOGIT_BIAS_ENTRIES) {
      ctx.addIssue({ code: "custom", message: `may hold at most ${MAX_LOGIT_BIAS_ENTRIES} entries, got ${entries.length}` });
      return z.NEVER;
    }
    const out: Record<number, number> = {};
    for (const [key, bias] of entries) {
      const id = /^\d{1,10}$/.test(key) ? Number(key) : NaN;
      if (!(id <= UINT32_MAX) || typeof bias !== "number" || !(bias >= -100 && bias <= 100)) {
        ctx.addIssue({ code: "custom", message: `${LOGIT_BIAS_RULE}, got ${show({ [key]: bias })}` });
        return z.NEVER;
      }
      out[id] = bias;
    }
    return out;
  });

/** `stream_options`: OpenAI's include_usage and vLLM's continuous_usage_stats; any other key names itself. */
const STREAM_OPTION_KEYS = ["include_usage", "continuous_usage_stats"];
const streamOptions = z.looseObject({ include_usage: optionalBool, continuous_usage_stats: optionalBool }, { error: "must be an object" })
  .superRefine((o, ctx) => {
    const unknown = Object.keys(o).find((k) => !STREAM_OPTION_KEYS.includes(k));
    if (unknown !== undefined) ctx.addIssue({ code: "custom", path: [unknown], message: `is not a stream_options key (${STREAM_OPTION_KEYS.join(", ")})` });
  })
  .nullish();
const logprobCount = optionalNumber({ integer: true, min: 0, max: 20 });

/** Fields both endpoints share. */
const COMMON = {
  model: requiredString,
  max_tokens: maxTokens,
  temperature: optionalNumber({ min: 0, max: 2 }),
  top_p: optionalNumber({ min: 0, minExclusive: true, max: 1 }),
  top_k: optionalNumber({ integer: true, min: -1, max: INT32_MAX }),
  seed: optionalSeed,
  stop,
  stop_token_ids: optionalTokenIds,
  presence_penalty: optionalNumber({ min: -2, max: 2 }),
  frequency_penalty: optionalNumber({ min: -2, max: 2 }),
  repetition_penalty: optionalNumber({ min: 0, minExclusive: true, max: FLOAT32_MAX }),
  min_tokens: optionalNumber({ integer: true, min: 0, max: UINT32_MAX }),
  ignore_eos: optionalBool,
  stream: optionalBool,
  stream_options: streamOptions,
  logit_bias: logitBias,
  n: optionalNumber({ integer: true, min: 1 }),
  user: optionalString,
  include_stop_str_in_output: optionalBool,
  skip_special_tokens: optionalBool,
};

/** stream_options only with stream: true (as OpenAI). */
function checkStreamOptions(body: { stream?: boolean; stream_options?: unknown }, ctx: z.RefinementCtx): void {
  if (body.stream_options != null && !body.stream) ctx.addIssue({ code: "custom", path: ["stream_options"], message: "is only allowed with stream: true" });
}

const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;
/** A content part: an object with a `type` (the preprocessor says which types it renders), or plain text. */
const contentPart = z.union([z.string(), z.looseObject({ type: z.string() })], { error: "must be a content part: an object with a string 'type'" });

/** One chat message (also /tokenize's). */
export const chatMessageSchema = z.object({
  role: z.enum(ROLES, { error: (iss) => `must be system, developer, user, assistant or tool, got ${show(iss.input)}` }),
  content: z.union([z.string(), z.array(contentPart)], { error: "must be a string or a list of content parts" }).nullish(),
  name: optionalString,
  tool_call_id: optionalString,
  tool_calls: z.array(z.unknown(), { error: "must be a list" }).nullish(),
}, { error: "must be an object" }).superRefine((m, ctx) => {
  if (m.content == null && m.role !== "assistant") ctx.addIssue({ code: "custom", path: ["content"], message: `is required for role ${m.role}` });
});

/** POST /v1/chat/completions (and gRPC Frontend/ChatCompletion). */
export const chatBodySchema = z.object({
  ...COMMON,
  messages: z.array(chatMessageSchema, { error: "must be a non-empty list" }).min(1, { error: "must be a non-empty list" }),
  max_completion_tokens: maxTokens,
  logprobs: optionalBool,
  top_logprobs: logprobCount,
  tools: toolsSchema,
  tool_choice: toolChoiceSchema,
  parallel_tool_calls: optionalBool,
  chat_template_kwargs: z.record(z.string(), z.unknown(), { error: "must be an object" }).nullish(),
  add_generation_prompt: optionalBool,
  // Accepted for "text" only (a no-op); other types are rejected after parsing (no guided decoding).
  response_format: z.object({ type: z.string({ error: "must be a string" }) }, { error: "must be an object with a string 'type'" }).nullish(),
}).superRefine((body, ctx) => {
  checkStreamOptions(body, ctx);
  checkAutoHasTools(body, ctx);
  if (body.top_logprobs !== undefined && !body.logprobs) ctx.addIssue({ code: "custom", path: ["top_logprobs"], message: "requires logprobs: true" });
});

/** POST /v1/completions (and gRPC Frontend/Completion); `prompt`'s forms are read by the parser. */
export const completionBodySchema = z.object({
  ...COMMON,
  prompt: z.unknown().optional(),
  logprobs: logprobCount,
  // No-op values only (false, 1); others are rejected after parsing with unsupported_parameter.
  echo: optionalBool,
  best_of: optionalNumber({ integer: true, min: 1, max: UINT32_MAX }),
}).superRefine(checkStreamOptions);

/** POST /tokenize with a text prompt (vLLM's shape). */
export const tokenizeTextSchema = z.object({
  model: requiredString,
  prompt: z.string({ error: "must be a string (or send 'messages')" }),
  add_special_tokens: optionalBool,
});

/** POST /tokenize with chat messages (vLLM's shape). */
export const tokenizeChatSchema = z.object({
  model: requiredString,
  messages: z.array(chatMessageSchema, { error: "must be a non-empty list" }).min(1, { error: "must be a non-empty list" }),
  add_generation_prompt: optionalBool,
  add_special_tokens: optionalBool,
  tools: z.array(z.unknown(), { error: "must be an array" }).nullish(),
  chat_template_kwargs: z.record(z.string(), z.unknown(), { error: "must be an object" }).nullish(),
});

/** POST /detokenize (vLLM's shape); `tokens` may be empty. */
export const detokenizeSchema = z.object({
  model: requiredString,
  tokens: z.array(z.number().int().min(0).max(UINT32_MAX), { error: "must be a list of token ids (integers in [0, 2^32))" }),
});

/** A validated chat body. */
export type ChatBody = z.output<typeof chatBodySchema>;
/** A validated completion body. */
export type CompletionBody = z.output<typeof completionBodySchema>;
