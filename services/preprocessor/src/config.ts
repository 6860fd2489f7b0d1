/** The preprocessor's flags (on top of COMMON_FLAGS). */
import { COMMON_FLAGS, defineFlags } from "#common/config/index.js";
import { REASONING_PARSERS } from "./parsers/reasoning-parser.js";
import { TOOL_CALL_PARSERS } from "./parsers/tool-call-parser.js";
import { DEFAULT_MAX_BODY_BYTES } from "#common/limits.js";

/** Flags only the preprocessor has. */
export const PREPROCESSOR_FLAGS = defineFlags([
  { name: "chat-template", type: "string", help: "chat template for every model (a file path or the Jinja text); overrides the model card's" },
  { name: "tool-call-parser", type: "enum", choices: TOOL_CALL_PARSERS, help: "parse tool calls out of chat answers when a request has tools (tool_choice auto): hermes (Qwen2.5/Qwen3 <tool_call>), llama3-json, mistral ([TOOL_CALLS]); unset: such requests get 400" },
  { name: "reasoning-parser", type: "enum", choices: REASONING_PARSERS, help: "split <think>…</think> out of chat answers into reasoning_content: deepseek-r1 or qwen3" },
  { name: "max-body-bytes", type: "int", min: 1, default: DEFAULT_MAX_BODY_BYTES, help: "largest request entering the mesh: an HTTP body (413 beyond), a gRPC Frontend or Preprocessor message (RESOURCE_EXHAUSTED beyond), checked before any work" },
  { name: "card-timeout", type: "duration", default: "10s", min: 1, help: "timeout of Worker.GetModelCard when a model's card is fetched" },
]);

/** Everything `kvmesh preprocessor` accepts. */
export const PREPROCESSOR_CONFIG_SPEC = [...COMMON_FLAGS, ...PREPROCESSOR_FLAGS] as const;
