/**
 * The `--chat-template` flag, read the same way by the worker (into its model card) and by the
 * preprocessor (as an override): a path to a file, or the template itself.
 */
import { existsSync, readFileSync, statSync } from "node:fs";

/** A template text, and where it came from (for messages). */
export interface TemplateSource {
  template: string;
  origin: string;
}

/**
 * A file's contents when `value` names a file; otherwise `value` itself, which must then contain
 * `{{` or `{%`, so a mistyped path is an error rather than a template that prints the path.
 */
export function loadTemplateOverride(value: string): TemplateSource {
  if (existsSync(value) && statSync(value).isFile()) return { template: readFileSync(value, "utf8"), origin: `--chat-template file ${value}` };
  if (value.includes("{{") || value.includes("{%")) return { template: value, origin: "--chat-template" };
  throw new Error(`--chat-template: "${value}" is neither a readable file nor a Jinja template`);
}
