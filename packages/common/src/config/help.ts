/** `--help` text generated from a flag spec, so help can never drift from what is parsed. */
import { envName } from "./spec.js";
import type { FlagSpec } from "./spec.js";

/**
 * One line per flag: `--name <type>`, help, allowed values, default and env variable (left out
 * with `readsEnv: false`, for a command that reads no environment: help names only what works).
 */
export function formatHelp(spec: readonly FlagSpec[], usage?: string, readsEnv = true): string {
  const heads = spec.map((flag) => `--${flag.name}${flag.type === "bool" ? "" : ` <${placeholder(flag)}>`}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  const rows = spec.map((flag, i) => {
    const extras: string[] = [];
    if (flag.type === "enum" && placeholder(flag) === "choice") extras.push(`one of ${(flag.choices ?? []).join("|")}`);
    if (flag.default !== undefined) extras.push(`default ${String(flag.default)}`);
    if (readsEnv) extras.push(`env ${envName(flag)}`);
    return `  ${heads[i].padEnd(width)}${flag.help} (${extras.join("; ")})`;
  });
  return [...(usage ? [usage, ""] : []), "flags:", ...rows, `  ${"--help".padEnd(width)}print this help and exit`].join("\n");
}

/** Longest list of choices shown as the placeholder; a longer one would widen every help line. */
const MAX_INLINE_CHOICES = 40;

function placeholder(flag: FlagSpec): string {
  if (flag.type === "enum") {
    const inline = (flag.choices ?? []).join("|");
    return inline.length <= MAX_INLINE_CHOICES ? inline : "choice";
  }
  return flag.type === "int" || flag.type === "number" ? "n" : flag.type;
}
