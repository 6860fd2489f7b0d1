/**
 * Every OpenAI request parameter kvmesh knows, and what it does with it: supported, or rejected
 * with 400 `unsupported_parameter`. Nothing is silently ignored: a field not in this table is
 * rejected too. The README's parameter table is this table.
 */

/** How a parameter is handled. */
export type ParamSupport = "supported" | "unsupported";

/** One row: the parameter, which endpoints know it, and a note for the README. */
export interface ParamRow {
  readonly name: string;
  readonly endpoints: ReadonlyArray<"chat" | "completions">;
  readonly support: ParamSupport;
  readonly note: string;
}

const BOTH = ["chat", "completions"] as const;
const CHAT = ["chat"] as const;
const COMPLETIONS = ["completions"] as const;

/** The table. */
export const OPENAI_PARAMS: readonly ParamRow[] = [
  { name: "model", endpoints: BOTH, support: "supported", note: "a served model name (see /v1/models)" },
  { name: "messages", endpoints: CHAT, support: "supported", note: "system/user/assistant/tool roles; text content parts" },
  { name: "prompt", endpoints: COMPLETIONS, support: "supported", note: "a string or one token-id array (token ids pass through unchanged)" },
  { name: "max_tokens", endpoints: BOTH, support: "supported", note: "1..4294967295; default: context length − prompt length" },
  { name: "max_completion_tokens", endpoints: CHAT, support: "supported", note: "same as max_tokens" },
  { name: "temperature", endpoints: BOTH, support: "supported", note: "0..2; 0 is greedy; default from generation_config.json" },
  { name: "top_p", endpoints: BOTH, support: "supported", note: "(0, 1]" },
  { name: "top_k", endpoints: BOTH, support: "supported", note: "vLLM extension, -1..2147483647; -1 or 0 disables" },
  { name: "seed", endpoints: BOTH, support: "supported", note: "same seed, same tokens; any int64 or uint64, exactly (a negative seed is its two's complement)" },
  { name: "stop", endpoints: BOTH, support: "supported", note: "up to 16 strings; never emitted" },
  { name: "stop_token_ids", endpoints: BOTH, support: "supported", note: "vLLM extension" },
  { name: "presence_penalty", endpoints: BOTH, support: "supported", note: "-2..2" },
  { name: "frequency_penalty", endpoints: BOTH, support: "supported", note: "-2..2" },
  { name: "repetition_penalty", endpoints: BOTH, support: "supported", note: "vLLM extension, > 0 (at most 3.4e38, a float)" },
  { name: "min_tokens", endpoints: BOTH, support: "supported", note: "vLLM extension, 0..4294967295" },
  { name: "ignore_eos", endpoints: BOTH, support: "supported", note: "vLLM extension (benchmarks)" },
  { name: "logprobs", endpoints: BOTH, support: "supported", note: "chat: boolean; completions: number of alternatives (0..20)" },
  { name: "top_logprobs", endpoints: CHAT, support: "supported", note: "0..20, with logprobs: true" },
  { name: "stream", endpoints: BOTH, support: "supported", note: "server-sent events, `data: [DONE]` last" },
  { name: "stream_options", endpoints: BOTH, support: "supported", note: "include_usage; continuous_usage_stats (vLLM: usage on every chunk); other keys are a 400" },
  { name: "n", endpoints: BOTH, support: "supported", note: "only 1; n > 1 is rejected with unsupported_parameter" },
  { name: "user", endpoints: BOTH, support: "supported", note: "recorded in the request log" },
  { name: "tools", endpoints: CHAT, support: "supported", note: "function tools, rendered by the chat template; calls parsed by the preprocessor's --tool-call-parser" },
  { name: "tool_choice", endpoints: CHAT, support: "supported", note: "\"auto\" (default with tools) or \"none\"; \"required\" and a named function are rejected (no constrained decoding)" },
  { name: "chat_template_kwargs", endpoints: CHAT, support: "supported", note: "extra template variables" },
  { name: "add_generation_prompt", endpoints: CHAT, support: "supported", note: "vLLM extension, default true" },
  { name: "skip_special_tokens", endpoints: BOTH, support: "supported", note: "vLLM extension, default true" },
  { name: "include_stop_str_in_output", endpoints: BOTH, support: "supported", note: "vLLM extension" },
  { name: "logit_bias", endpoints: BOTH, support: "supported", note: "token id → bias in [-100, 100], at most 300 entries; ids must be < the vocabulary" },
  { name: "response_format", endpoints: CHAT, support: "supported", note: "only {\"type\": \"text\"} (a no-op); json_object/json_schema are rejected with unsupported_parameter (no guided decoding)" },
  { name: "best_of", endpoints: COMPLETIONS, support: "supported", note: "only 1 (a no-op); > 1 is rejected with unsupported_parameter" },
  { name: "echo", endpoints: COMPLETIONS, support: "supported", note: "only false (a no-op); true is rejected with unsupported_parameter" },
  { name: "suffix", endpoints: COMPLETIONS, support: "unsupported", note: "out of scope" },
  { name: "audio", endpoints: CHAT, support: "unsupported", note: "text models only" },
  { name: "modalities", endpoints: CHAT, support: "unsupported", note: "text models only" },
  { name: "functions", endpoints: CHAT, support: "unsupported", note: "deprecated; use tools" },
  { name: "function_call", endpoints: CHAT, support: "unsupported", note: "deprecated; use tools" },
  { name: "parallel_tool_calls", endpoints: CHAT, support: "supported", note: "true (the default: every parsed call is returned); false is rejected (no constrained decoding)" },
  { name: "prediction", endpoints: CHAT, support: "unsupported", note: "no speculative decoding" },
  { name: "reasoning_effort", endpoints: CHAT, support: "unsupported", note: "no reasoning-effort control (--reasoning-parser only splits reasoning_content)" },
  { name: "service_tier", endpoints: CHAT, support: "unsupported", note: "one tier" },
  { name: "store", endpoints: CHAT, support: "unsupported", note: "nothing is stored" },
  { name: "metadata", endpoints: CHAT, support: "unsupported", note: "nothing is stored" },
  { name: "web_search_options", endpoints: CHAT, support: "unsupported", note: "no tools run server-side" },
  { name: "min_p", endpoints: BOTH, support: "unsupported", note: "not built" },
];

/** Rows of one endpoint by name. */
export function paramsOf(endpoint: "chat" | "completions"): Map<string, ParamRow> {
  return new Map(OPENAI_PARAMS.filter((p) => p.endpoints.includes(endpoint)).map((p) => [p.name, p]));
}
