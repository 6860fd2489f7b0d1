/**
 * Which of `kvmesh up`'s flags go to which service: every flag given on the command line is
 * forwarded, under its own name, to each service that declares it (KVMESH_* variables reach the
 * children through the environment anyway).
 */
import type { FlagSpec } from "#common/config/index.js";
import { SERVICE_FLAGS, SHARED_FLAGS } from "./up-flags.js";
import type { UpService } from "./up-flags.js";

/** The flag names given in `argv` (`--x v`, `--x=v`, `--x`, `--no-x`), each with its raw tokens. */
export function givenFlags(argv: readonly string[], spec: readonly FlagSpec[]): Map<string, string[]> {
  const byName = new Map(spec.map((f) => [f.name, f]));
  const given = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith("--")) continue;
    const eq = token.indexOf("=");
    let name = token.slice(2, eq < 0 ? undefined : eq);
    const negated = name.startsWith("no-") && byName.get(name.slice(3))?.type === "bool";
    if (negated) name = name.slice(3);
    const flag = byName.get(name);
    if (!flag) continue;
    if (eq >= 0 || flag.type === "bool") given.set(name, [token]);
    else given.set(name, [token, argv[++i] ?? ""]);
  }
  return given;
}

/** The forwarded arguments of `service`, in the order of the flag specs. */
export function argsFor(service: UpService, given: Map<string, string[]>): string[] {
  const names = [...SHARED_FLAGS, ...SERVICE_FLAGS[service].map((f) => f.name)];
  return names.flatMap((name) => given.get(name) ?? []);
}
