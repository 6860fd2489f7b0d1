/**
 * Reads `--flag value`, `--flag=value`, bare booleans (`--check-config`, `--no-check-config`)
 * and `KVMESH_*` env fallbacks against a flag spec. The flag wins over the env variable, which
 * wins over the default. Every bad value and unknown flag is collected into ONE ConfigError.
 */
import { homedir } from "node:os";
import { ConfigError } from "./config-error.js";
import { parseDuration } from "./duration.js";
import { configKey, envName } from "./spec.js";
import type { ConfigOf, FlagSpec } from "./spec.js";

/** The result of {@link parseArgv}: the typed config and the non-flag arguments in order. */
export interface ParsedArgs<S extends readonly FlagSpec[]> {
  config: ConfigOf<S>;
  positionals: string[];
}

type Env = Readonly<Record<string, string | undefined>>;
type Converted = { ok: true; value: unknown } | { ok: false; reason: string };

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

/**
 * Parses `argv` (the arguments after the command, no node/script path) and `env` against
 * `spec`. Throws a ConfigError listing every problem, including any positional argument.
 */
export function parseConfig<const S extends readonly FlagSpec[]>(spec: S, argv: readonly string[], env: Env): ConfigOf<S> {
  const { config, positionals, problems } = collect(spec, argv, env);
  problems.push(...positionals.map((p) => `unexpected argument "${p}"`));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Like {@link parseConfig} but returns positional arguments instead of rejecting them. */
export function parseArgv<const S extends readonly FlagSpec[]>(spec: S, argv: readonly string[], env: Env): ParsedArgs<S> {
  const { config, positionals, problems } = collect(spec, argv, env);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, positionals };
}

function collect<S extends readonly FlagSpec[]>(spec: S, argv: readonly string[], env: Env): ParsedArgs<S> & { problems: string[] } {
  const byName = indexSpec(spec);
  const problems: string[] = [];
  const given = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith("--")) {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : token.slice(eq + 1);
    const negated = name.startsWith("no-") && byName.get(name.slice(3))?.type === "bool" && inline === undefined;
    const flag = negated ? byName.get(name.slice(3)) : byName.get(name);
    if (!flag) {
      problems.push(`unknown flag --${name}`);
      continue;
    }
    if (negated) given.set(flag.name, "false");
    else if (inline !== undefined) given.set(flag.name, inline);
    else if (flag.type === "bool") given.set(flag.name, "true");
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) given.set(flag.name, argv[++i]);
    else problems.push(`--${flag.name} needs a value`);
  }
  const config: Record<string, unknown> = {};
  for (const flag of spec) {
    const fromFlag = given.get(flag.name);
    const fromEnv = env[envName(flag)];
    const [raw, source] =
      fromFlag !== undefined ? [fromFlag, `--${flag.name}`]
      : fromEnv !== undefined && fromEnv !== "" ? [fromEnv, `${envName(flag)} (env)`]
      : [flag.default, `--${flag.name} (default)`];
    if (raw === undefined) {
      config[configKey(flag)] = flag.type === "bool" ? false : undefined;
      continue;
    }
    const converted = checkRange(flag, convert(flag, raw, env));
    if (converted.ok) config[configKey(flag)] = converted.value;
    else problems.push(`${source}: ${JSON.stringify(String(raw))} ${converted.reason}`);
  }
  return { config: config as ConfigOf<S>, positionals, problems };
}

function indexSpec(spec: readonly FlagSpec[]): Map<string, FlagSpec> {
  const byName = new Map<string, FlagSpec>();
  for (const flag of spec) {
    // Two services' flag lists colliding is a programming error, not a user one.
    if (byName.has(flag.name)) throw new Error(`flag --${flag.name} is declared twice`);
    byName.set(flag.name, flag);
  }
  return byName;
}

function convert(flag: FlagSpec, raw: string | number | boolean, env: Env): Converted {
  const text = String(raw).trim();
  switch (flag.type) {
    case "string":
      return { ok: true, value: flag.expandHome ? expandHome(String(raw), env) : String(raw) };
    case "int":
      return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? { ok: true, value: Number(text) } : { ok: false, reason: "is not an integer" };
    case "number":
      return text !== "" && Number.isFinite(Number(text)) ? { ok: true, value: Number(text) } : { ok: false, reason: "is not a number" };
    case "bool":
      if (TRUE.has(text.toLowerCase())) return { ok: true, value: true };
      if (FALSE.has(text.toLowerCase())) return { ok: true, value: false };
      return { ok: false, reason: "is not a boolean (true or false)" };
    case "duration": {
      const ms = parseDuration(text);
      return ms === undefined ? { ok: false, reason: 'is not a duration (e.g. "500ms", "10s", "2m")' } : { ok: true, value: ms };
    }
    case "enum":
      return flag.choices?.includes(text) ? { ok: true, value: text } : { ok: false, reason: `is not one of ${(flag.choices ?? []).join(", ")}` };
  }
}

function checkRange(flag: FlagSpec, converted: Converted): Converted {
  if (!converted.ok || typeof converted.value !== "number") return converted;
  const unit = flag.type === "duration" ? " ms" : "";
  if (flag.min !== undefined && converted.value < flag.min) return { ok: false, reason: `is below the minimum ${flag.min}${unit}` };
  if (flag.max !== undefined && converted.value > flag.max) return { ok: false, reason: `is above the maximum ${flag.max}${unit}` };
  return converted;
}

function expandHome(path: string, env: Env): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  return (env.HOME || homedir()) + path.slice(1);
}
