/**
 * Which mesh a `kvmesh up` belongs to: its discovery namespace and registry directory. By
 * default each `up` is a mesh of its own (namespace `kvmesh-<http-port>`, or `kvmesh-up-<pid>`
 * on an ephemeral port, with a registry under `~/.kvmesh/up/<namespace>/registry`), so two `up`
 * on one machine never serve each other's workers. `--join <namespace>` joins the mesh another
 * `up` printed in its banner; `--join <dir>` joins the services registered in that registry
 * directory (namespace: --namespace, default `kvmesh`). An explicit --namespace or
 * --discovery-dir keeps the services' own defaults for the other one.
 */
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/** What decides the identity. `namespace` / `discoveryDir` are set only when the user gave them. */
export interface MeshIdentityInput {
  readonly join?: string;
  readonly namespace?: string;
  readonly discoveryDir?: string;
  readonly httpPort: number;
  readonly pid: number;
  readonly home?: string;
}

/** The mesh `up` runs in. */
export interface MeshIdentity {
  readonly namespace: string;
  readonly discoveryDir: string;
  /** How it was chosen, for the banner. */
  readonly origin: "own" | "joined" | "given";
}

/** The namespace the services use when none is given (COMMON_FLAGS). */
const SERVICE_NAMESPACE = "kvmesh";

/** True when a --join value names a directory rather than a namespace. */
function isPath(value: string): boolean {
  return value.includes("/") || value.startsWith("~") || value.startsWith(".") || isAbsolute(value);
}

/** The registry directory of the mesh named `namespace` under `home`. */
export function upRegistryDir(namespace: string, home: string = homedir()): string {
  return join(home, ".kvmesh", "up", namespace, "registry");
}

/** Resolves the identity; throws on a contradiction (the message names the flags). */
export function meshIdentity(input: MeshIdentityInput): MeshIdentity {
  const home = input.home ?? homedir();
  const { join: target } = input;
  if (target !== undefined) {
    if (target.trim() === "") throw new Error("--join needs a namespace or a registry directory");
    if (isPath(target)) {
      if (input.discoveryDir !== undefined) throw new Error("--join <dir> and --discovery-dir both name the registry: give one");
      const dir = target.startsWith("~") ? join(home, target.slice(1)) : resolve(target);
      return { namespace: input.namespace ?? SERVICE_NAMESPACE, discoveryDir: dir, origin: "joined" };
    }
    if (input.namespace !== undefined && input.namespace !== target) throw new Error(`--join ${target} and --namespace ${input.namespace} name different meshes: give one`);
    return { namespace: target, discoveryDir: input.discoveryDir ?? upRegistryDir(target, home), origin: "joined" };
  }
  if (input.namespace !== undefined || input.discoveryDir !== undefined) {
    return { namespace: input.namespace ?? SERVICE_NAMESPACE, discoveryDir: input.discoveryDir ?? join(home, ".kvmesh", "registry"), origin: "given" };
  }
  const namespace = input.httpPort > 0 ? `kvmesh-${input.httpPort}` : `kvmesh-up-${input.pid}`;
  return { namespace, discoveryDir: upRegistryDir(namespace, home), origin: "own" };
}

/** The banner's line about it. */
export function meshLine(id: MeshIdentity): string {
  const how = id.origin === "own" ? `its own mesh; another \`kvmesh up\` joins it with --join ${id.namespace}`
    : id.origin === "joined" ? "joined with --join" : "from --namespace / --discovery-dir";
  return `mesh: namespace ${id.namespace}, registry ${id.discoveryDir} (${how})`;
}
