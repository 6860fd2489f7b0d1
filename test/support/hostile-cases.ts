// The hostile-input cases: each one thing a careless or malicious client sends, what the REST
// gateway must answer (an OpenAI-shaped 4xx naming the field), and, where the proto can carry
// the same fault, the gRPC Frontend request and the status it must get instead.
import type { ChatCompletionRequest, CompletionOptions, CompletionRequest } from "#contracts/gen/kvmesh/v1/frontend.js";

/** One hostile input. */
export interface HostileCase {
  readonly name: string;
  readonly http: { method?: string; path: string; body?: unknown; raw?: Buffer | string; headers?: Record<string, string> };
  /** HTTP status expected (always 4xx). */
  readonly status: number;
  /** The error's `param`, when the answer must name one. */
  readonly param?: string;
  /** The OpenAI error `code`, when it must be one. */
  readonly code?: string;
  /** The same fault at the gRPC Frontend, and the gRPC status number it must end with. */
  readonly grpc?: { chat?: Partial<ChatCompletionRequest>; completion?: Partial<CompletionRequest>; options?: Partial<CompletionOptions>; status: number };
}

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/** Builds the table for a mesh serving `model`. */
export function hostileCases(model: string): HostileCase[] {
  const chatPath = "/v1/chat/completions";
  const base = { model, messages: [{ role: "user", content: "hi" }], max_tokens: 2 };
  const chat = (extra: object): unknown => ({ ...base, ...extra });
  const completion = (extra: object): unknown => ({ model, prompt: "hi", max_tokens: 2, ...extra });
  const deep = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;
  const deepParts = `[${"{\"type\":\"text\",\"x\":[".repeat(2500)}1${"]}".repeat(2500)}]`;
  const field = (name: string, value: unknown, param = name, options?: Partial<CompletionOptions>): HostileCase => ({
    name: `${name} = ${typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value)).slice(0, 30)}`,
    http: { path: chatPath, body: chat({ [name]: value }) }, status: 400, param,
    ...(options ? { grpc: { options, status: INVALID_ARGUMENT } } : {}),
  });
  const rawChat = (name: string, raw: Buffer | string, status = 400, headers: Record<string, string> = {}): HostileCase => ({
    name, http: { path: chatPath, raw, headers: { "content-type": "application/json", ...headers } }, status,
  });
  return [
    field("temperature", 7, "temperature", { temperature: 7 }),
    field("temperature", "hot"),
    field("temperature", -1, "temperature", { temperature: -1 }),
    field("top_p", 0, "top_p", { topP: 0 }),
    field("top_p", 1.5, "top_p", { topP: 1.5 }),
    field("top_k", 2 ** 31),
    field("top_k", -2, "top_k", { topK: -2 }),
    field("max_tokens", 0, "max_tokens", { maxTokens: 0 }),
    field("max_tokens", 2 ** 32),
    field("max_tokens", 1.5),
    field("max_tokens", "10"),
    field("max_completion_tokens", 2 ** 32),
    field("min_tokens", 2 ** 32),
    field("min_tokens", -1),
    // 1e308 cannot even be encoded as a proto float: its gRPC twin is Infinity (what a C or Go client can send).
    field("repetition_penalty", 1e308, "repetition_penalty", { repetitionPenalty: Number.POSITIVE_INFINITY }),
    field("temperature", "NaN", "temperature", { temperature: Number.NaN }),
    field("repetition_penalty", 0, "repetition_penalty", { repetitionPenalty: 0 }),
    field("presence_penalty", 3, "presence_penalty", { presencePenalty: 3 }),
    field("frequency_penalty", -3, "frequency_penalty", { frequencyPenalty: -3 }),
    field("seed", 1.5),
    field("seed", "abc"),
    { name: "seed = 2^64 (one past uint64)", http: { path: chatPath, raw: `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"seed":18446744073709551616}`, headers: { "content-type": "application/json" } }, status: 400, param: "seed" },
    field("stop", [""], "stop", { stop: [""] }),
    field("stop", Array.from({ length: 17 }, (_, i) => `s${i}`), "stop", { stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }),
    field("stop", 5),
    field("stop_token_ids", [-1], "stop_token_ids[0]"),
    field("logprobs", "yes"),
    { ...field("top_logprobs", 21, "top_logprobs"), http: { path: chatPath, body: chat({ logprobs: true, top_logprobs: 21 }) }, grpc: { options: { logprobs: true, topLogprobs: 21 }, status: INVALID_ARGUMENT } },
    field("top_logprobs", 2, "top_logprobs", { topLogprobs: 2 }),
    { ...field("n", 2), code: "unsupported_parameter" },
    field("stream", "yes"),
    field("stream_options", { include_usage: true }),
    { ...field("messages", []), grpc: { chat: { messages: [] }, status: INVALID_ARGUMENT } },
    field("messages", "hi"),
    field("messages", [null], "messages[0]"),
    { ...field("messages", [{ role: "robot", content: "x" }], "messages[0].role"), grpc: { chat: { messages: [{ role: "robot", content: "x" }] }, status: INVALID_ARGUMENT } },
    { ...field("messages", [{ role: "user" }], "messages[0].content"), grpc: { chat: { messages: [{ role: "user" }] }, status: INVALID_ARGUMENT } },
    field("messages", [{ role: "user", content: 5 }], "messages[0].content"),
    { name: "content parts nested 5,000 deep", http: { path: chatPath, raw: `{"model":"${model}","messages":[{"role":"user","content":${deepParts}}]}`, headers: { "content-type": "application/json" } }, status: 400, grpc: { chat: { messages: [{ role: "user", contentPartsJson: deepParts }] }, status: INVALID_ARGUMENT } },
    { name: "tools nested 5,000 deep", http: { path: chatPath, raw: `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"tools":${deep(5000)}}`, headers: { "content-type": "application/json" } }, status: 400, grpc: { chat: { toolsJson: deep(5000) }, status: INVALID_ARGUMENT } },
    { name: "chat_template_kwargs nested 5,000 deep", http: { path: chatPath, raw: `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"chat_template_kwargs":{"a":${deep(5000)}}}`, headers: { "content-type": "application/json" } }, status: 400, grpc: { chat: { chatTemplateKwargsJson: `{"a":${deep(5000)}}` }, status: INVALID_ARGUMENT } },
    { ...field("tools", "x"), grpc: { chat: { toolsJson: '"x"' }, status: INVALID_ARGUMENT } },
    { ...field("chat_template_kwargs", [1]), grpc: { chat: { chatTemplateKwargsJson: "[1]" }, status: INVALID_ARGUMENT } },
    { ...field("model", ""), grpc: { chat: { model: "" }, status: INVALID_ARGUMENT } },
    field("model", 5),
    { ...field("model", "no-such-model"), status: 404, code: "model_not_found", grpc: { chat: { model: "no-such-model" }, status: NOT_FOUND } },
    { ...field("temprature", 1), code: "unsupported_parameter" },
    { ...field("response_format", { type: "json_object" }), code: "unsupported_parameter" },
    // tool_choice "auto" is supported since tool-call parsing (i-openai): without tools it is malformed;
    // "required" needs constrained decoding, which is not built.
    { ...field("tool_choice", "auto"), grpc: { chat: { toolChoiceJson: '"auto"' }, status: INVALID_ARGUMENT } },
    { ...field("tool_choice", "required"), code: "unsupported_parameter", grpc: { chat: { toolChoiceJson: '"required"' }, status: UNIMPLEMENTED } },
    { name: "completion without prompt", http: { path: "/v1/completions", body: { model, max_tokens: 2 } }, status: 400, param: "prompt", grpc: { completion: { prompt: undefined }, status: INVALID_ARGUMENT } },
    { name: "completion prompt \"\"", http: { path: "/v1/completions", body: completion({ prompt: "" }) }, status: 400, param: "prompt", grpc: { completion: { prompt: { $case: "text", text: "" } }, status: INVALID_ARGUMENT } },
    { name: "completion prompt [1, -1]", http: { path: "/v1/completions", body: completion({ prompt: [1, -1] }) }, status: 400, param: "prompt" },
    { name: "completion prompt [1, 2^32]", http: { path: "/v1/completions", body: completion({ prompt: [1, 2 ** 32] }) }, status: 400, param: "prompt" },
    { name: "completion prompt {}", http: { path: "/v1/completions", body: completion({ prompt: {} }) }, status: 400, param: "prompt" },
    { name: "completion logprobs 21", http: { path: "/v1/completions", body: completion({ logprobs: 21 }) }, status: 400, param: "logprobs", grpc: { completion: {}, options: { logprobs: true, topLogprobs: 21 }, status: INVALID_ARGUMENT } },
    { name: "completion seed -2^63 - 1", http: { path: "/v1/completions", raw: `{"model":"${model}","prompt":"hi","seed":-9223372036854775809}`, headers: { "content-type": "application/json" } }, status: 400, param: "seed" },
    rawChat("body not JSON", "{nope"),
    rawChat("body a JSON array", "[]"),
    rawChat("body null", "null"),
    rawChat("empty body", ""),
    rawChat("body nested 100,000 deep", deep(100_000)),
    rawChat("invalid UTF-8 in a string", Buffer.concat([Buffer.from(`{"model":"${model}","messages":[{"role":"user","content":"`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')])),
    rawChat("a UTF-16 body", Buffer.from(JSON.stringify(base), "utf16le")),
    rawChat("body over --max-body-bytes", Buffer.alloc(9 * 1024 * 1024, 0x20), 413),
    rawChat("Content-Type text/plain", JSON.stringify(base), 415, { "content-type": "text/plain" }),
    rawChat("Content-Type form", JSON.stringify(base), 415, { "content-type": "application/x-www-form-urlencoded" }),
    rawChat("Content-Type multipart", JSON.stringify(base), 415, { "content-type": "multipart/form-data; boundary=x" }),
    rawChat("charset latin1", JSON.stringify(base), 415, { "content-type": "application/json; charset=latin1" }),
    { name: "GET /v1/models/%ZZ", http: { method: "GET", path: "/v1/models/%ZZ" }, status: 400, param: "model" },
    { name: "GET /v1/models/%C3 (broken UTF-8)", http: { method: "GET", path: "/v1/models/%C3" }, status: 400, param: "model" },
    { name: "GET /v1/models/<unknown>", http: { method: "GET", path: "/v1/models/nope%00x" }, status: 404, code: "model_not_found" },
    { name: "an unknown route", http: { method: "GET", path: "/v1/nothing/%ZZ" }, status: 404 },
    { name: "POST /v1/models", http: { method: "POST", path: "/v1/models", body: {} }, status: 404 },
  ];
}
