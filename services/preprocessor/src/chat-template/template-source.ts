/**
 * Where a model's chat template comes from, highest priority first: the preprocessor's
 * `--chat-template`, the worker's (card.chat_template), then tokenizer_config.json's
 * `chat_template` (a string, or a list of named templates as newer Hugging Face configs have).
 */
import { existsSync, readFileSync, statSync } from "node:fs";

/** A template text, and where it came from (for messages). */
export interface TemplateSource {
  template: string;
  origin: string;
}

/**
 * `--chat-template`: a path to a file, or the template itself (it must then contain `{{` or
 * `{%`, so a mistyped path is an error rather than a template that prints the path).
 */
export function loadTemplateOverride(value: string): TemplateSource {
  if (existsSync(value) && statSync(value).isFile()) return { template: readFileSync(value, "utf8"), origin: `--chat-template file ${value}` };
  if (value.includes("{{") || value.includes("{%")) return { template: value, origin: "--chat-template" };
  throw new Error(`--chat-template: "${value}" is neither a readable file nor a Jinja template`);
}

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
