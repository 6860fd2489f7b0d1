// Reads deploy/compose.yaml the way `docker compose` does for what the deploy tests check:
// YAML anchors and `<<` merge keys, `${VAR}` / `${VAR:-default}` / `$$` interpolation from a
// given environment, list or map `environment`, and list-form `command`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { repoRoot } from "./stories-model.js";

/** The parts of one compose service the tests read. */
export interface ComposeService {
  image?: string;
  command?: string[];
  environment: Record<string, string>;
  ports: string[];
  volumes: string[];
  profiles: string[];
  healthcheck?: { test?: string[] };
  depends_on: Record<string, { condition?: string }>;
}

/** deploy/ in the checkout. */
export const deployDir = join(repoRoot, "deploy");

/** Compose's interpolation: `$$` is a literal `$`; unset or empty with `:-` takes the default. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, braced?: string, op?: string, def?: string, bare?: string) => {
    if (all === "$$") return "$";
    const value = env[(braced ?? bare)!];
    if (op === ":-") return value ? value : def!;
    if (op === "-") return value ?? def!;
    return value ?? "";
  });
}

function interpolateDeep(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === "string") return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, env));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env)]));
  return value;
}

function toEnvironment(raw: unknown): Record<string, string> {
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((e: string) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
  return Object.fromEntries(Object.entries((raw ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

function toDependsOn(raw: unknown): Record<string, { condition?: string }> {
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name: string) => [name, { condition: "service_started" }]));
  return (raw ?? {}) as Record<string, { condition?: string }>;
}

/** Parses a YAML file under deploy/ (anchors and merge keys resolved). */
export function readDeployYaml(relative: string): unknown {
  return parse(readFileSync(join(deployDir, relative), "utf8"), { merge: true });
}

/** deploy/compose.yaml's services, interpolated with `env` (default: nothing set). */
export function loadComposeServices(env: Record<string, string | undefined> = {}): Record<string, ComposeService> {
  const doc = interpolateDeep(readDeployYaml("compose.yaml"), env) as { services: Record<string, Record<string, unknown>> };
  return Object.fromEntries(
    Object.entries(doc.services).map(([name, s]) => [
      name,
      {
        image: s.image as string | undefined,
        command: typeof s.command === "string" ? s.command.split(/\s+/) : (s.command as string[] | undefined),
        environment: toEnvironment(s.environment),
        ports: ((s.ports ?? []) as unknown[]).map(String),
        volumes: ((s.volumes ?? []) as unknown[]).map(String),
        profiles: (s.profiles ?? []) as string[],
        healthcheck: s.healthcheck as { test?: string[] } | undefined,
        depends_on: toDependsOn(s.depends_on),
      },
    ]),
  );
}

/** The value of `--flag=value` or `--flag value` in an argument list. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i].startsWith(`${flag}=`)) return args[i].slice(flag.length + 1);
  }
  return undefined;
}

/** The port of `host:port` (or of a URL). */
export function portOf(address: string): number {
  const match = /:(\d+)(?:\/|$)/.exec(address);
  if (!match) throw new Error(`no port in ${address}`);
  return Number(match[1]);
}
