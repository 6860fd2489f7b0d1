/**
 * The declarative flag spec every service's configuration is built from, and the types that
 * turn a spec into the typed config object `parseConfig` returns.
 */

/** The value kinds a flag can take. `duration` accepts "10s", "500ms", "2m" or plain milliseconds. */
export type FlagType = "string" | "int" | "number" | "bool" | "duration" | "enum";

/** One `--flag`: its kebab-case name (without the dashes), its kind, default and help line. */
export interface FlagSpec {
  /** kebab-case, without the leading `--` (`discovery-dir`). */
  readonly name: string;
  readonly type: FlagType;
  /** Used when neither the flag nor its env variable is given; absent = unset (undefined), bool = false. */
  readonly default?: string | number | boolean;
  /** One line for `--help`. */
  readonly help: string;
  /** The allowed values of an `enum` flag. */
  readonly choices?: readonly string[];
  /** int / number / duration: the smallest allowed value (durations in ms). */
  readonly min?: number;
  /** int / number / duration: the largest allowed value (durations in ms). */
  readonly max?: number;
  /** Override of the env variable name (default `KVMESH_<UPPER_SNAKE>`). */
  readonly env?: string;
  /** string flags: a leading `~/` becomes the home directory (paths such as `--discovery-dir`). */
  readonly expandHome?: boolean;
  /** A secret (`--api-key`): `--check-config` prints `"<redacted>"` instead of its value. */
  readonly secret?: boolean;
}

/** `discovery-dir` → `discoveryDir`. */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** The config key of a flag: camelCase, with `Ms` appended for durations (`shutdownGraceMs`). */
export type ConfigKey<F extends FlagSpec> = F extends { type: "duration" } ? `${CamelCase<F["name"]>}Ms` : CamelCase<F["name"]>;

type ValueOf<F extends FlagSpec> = F extends { type: "string" }
  ? string
  : F extends { type: "int" | "number" | "duration" }
    ? number
    : F extends { type: "bool" }
      ? boolean
      : F extends { type: "enum"; choices: readonly (infer C)[] }
        ? C
        : never;

type Resolved<F extends FlagSpec> = F extends { type: "bool" } | { default: string | number | boolean } ? ValueOf<F> : ValueOf<F> | undefined;

/** The typed config object of a spec: one key per flag, unset optional flags are `undefined`. */
export type ConfigOf<S extends readonly FlagSpec[]> = { [F in S[number] as ConfigKey<F>]: Resolved<F> };

/** Declares a flag list keeping its literal types, so `parseConfig` can infer the config type. */
export function defineFlags<const S extends readonly FlagSpec[]>(flags: S): S {
  return flags;
}

/** The env variable read for a flag: its override, else `KVMESH_<UPPER_SNAKE>`. */
export function envName(flag: FlagSpec): string {
  return flag.env ?? `KVMESH_${flag.name.replace(/-/g, "_").toUpperCase()}`;
}

/** The runtime key of a flag in the config object (same rule as {@link ConfigKey}). */
export function configKey(flag: FlagSpec): string {
  const camel = flag.name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return flag.type === "duration" ? `${camel}Ms` : camel;
}

/**
 * The same flags with some defaults replaced: for a mode that shares a flag list but not its
 * defaults (`kvmesh bench compare` and its own default workload). Naming an unknown flag throws.
 */
export function withDefaults<const S extends readonly FlagSpec[]>(
  flags: S,
  defaults: { readonly [N in S[number]["name"]]?: string | number | boolean },
): S {
  const overrides = defaults as Readonly<Record<string, string | number | boolean>>;
  for (const name of Object.keys(overrides)) {
    if (!flags.some((f) => f.name === name)) throw new Error(`withDefaults: no flag --${name}`);
  }
  return flags.map((f) => (f.name in overrides ? { ...f, default: overrides[f.name] } : f)) as unknown as S;
}
