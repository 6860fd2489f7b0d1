/**
 * The command-line front of a service's config: `--help`, `--check-config` and the one
 * ConfigError, turned into text and an exit code. Output goes through injected writers so it
 * is unit-testable; `main.ts` passes console.log / console.error.
 */
import { ConfigError } from "./config-error.js";
import { formatHelp } from "./help.js";
import { parseConfig } from "./parse.js";
import { configKey } from "./spec.js";
import type { ConfigOf, FlagSpec } from "./spec.js";

/** Inputs of {@link loadServiceConfig}. */
export interface LoadServiceConfigOptions<S extends readonly FlagSpec[]> {
  /** `kvmesh <service>`, for the usage line. */
  service: string;
  spec: S;
  argv: readonly string[];
  /** The environment the `KVMESH_*` fallbacks are read from; absent: the command reads none (and its help names none). */
  env?: Readonly<Record<string, string | undefined>>;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Either the config to run with, or the exit code the process should end with right away. */
export type LoadedConfig<S extends readonly FlagSpec[]> = { config: ConfigOf<S>; exitCode?: undefined } | { config?: undefined; exitCode: number };

/**
 * `--help` / `-h`: help on `out`, exit 0. Bad flags: the ConfigError on `err`, exit 2.
 * `--check-config`: the resolved config as JSON on `out`, exit 0. Otherwise the config.
 */
export function loadServiceConfig<const S extends readonly FlagSpec[]>(options: LoadServiceConfigOptions<S>): LoadedConfig<S> {
  const { service, spec, argv, env, out, err } = options;
  if (argv.includes("--help") || argv.includes("-h")) {
    out(formatHelp(spec, `usage: kvmesh ${service} [flags]`, env !== undefined));
    return { exitCode: 0 };
  }
  let config: ConfigOf<S>;
  try {
    config = parseConfig(spec, argv, env ?? {});
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`kvmesh ${service}: ${e.message}\n(kvmesh ${service} --help lists the flags)`);
    return { exitCode: 2 };
  }
  if ((config as Record<string, unknown>).checkConfig === true) {
    // Unset flags print as null so the output lists every flag; a set secret never prints.
    const secrets = new Set(spec.filter((f) => f.secret).map(configKey));
    out(JSON.stringify(config, (key, value: unknown) => (value === undefined ? null : secrets.has(key) ? "<redacted>" : value), 2));
    return { exitCode: 0 };
  }
  return { config };
}
