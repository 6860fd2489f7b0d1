/**
 * Where a model's chat template comes from, highest priority first: the preprocessor's
 * `--chat-template`, the worker's (card.chat_template), then tokenizer_config.json's
 * `chat_template` (a string, or a list of named templates as newer Hugging Face configs have).
 */
import type { TemplateSource } from "#common/chat-template-arg.js";

export type { TemplateSource } from "#common/chat-template-arg.js";
export { loadTemplateOverride } from "#common/chat-template-arg.js";

/** tokenizer_config's chat_template: the string, or from a named list `default` (`tool_use` when tools are given). */
function fromTokenizerConfig(value: unknown, withTools: boolean): string | undefined {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return undefined;
  const named = new Map<string, string>();
  for (const entry of value as Array<{ name?: unknown; template?: unknown }>) {
    if (typeof entry?.name === "string" && typeof entry.template === "string") named.set(entry.name, entry.template);
  }
  return (withTools ? named.get("tool_use") : undefined) ?? named.get("default") ?? [...named.values()][0];
}

/** Inputs of {@link pickTemplate}. */
export interface TemplateCandidates {
  override?: TemplateSource;
  /** The card's chat_template (the worker's --chat-template). */
  card?: string;
  /** tokenizer_config.json's chat_template field, as parsed. */
  tokenizerConfig?: unknown;
}

/** The template to render with, or undefined when the model has none. */
export function pickTemplate(candidates: TemplateCandidates, withTools: boolean): TemplateSource | undefined {
  if (candidates.override) return candidates.override;
  if (candidates.card) return { template: candidates.card, origin: "the worker's --chat-template" };
  const fromConfig = fromTokenizerConfig(candidates.tokenizerConfig, withTools);
  return fromConfig ? { template: fromConfig, origin: "tokenizer_config.json" } : undefined;
}
