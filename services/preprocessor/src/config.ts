/** The preprocessor's flags (on top of COMMON_FLAGS). */
import { COMMON_FLAGS, defineFlags } from "#common/config/index.js";

/** Flags only the preprocessor has. */
export const PREPROCESSOR_FLAGS = defineFlags([
  { name: "chat-template", type: "string", help: "chat template for every model (a file path or the Jinja text); overrides the model card's" },
  { name: "card-timeout", type: "duration", default: "10s", min: 1, help: "timeout of Worker.GetModelCard when a model's card is fetched" },
]);

/** Everything `kvmesh preprocessor` accepts. */
export const PREPROCESSOR_CONFIG_SPEC = [...COMMON_FLAGS, ...PREPROCESSOR_FLAGS] as const;
