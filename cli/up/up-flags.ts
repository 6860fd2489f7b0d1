/**
 * `kvmesh up`'s flags: the common flags, every service's own flags under the same names, and
 * `--workers N`. Each flag is forwarded to the services that declare it.
 */
import { COMMON_FLAGS, defineFlags } from "#common/config/index.js";
import type { FlagSpec } from "#common/config/index.js";
import { FRONTEND_FLAGS } from "../../services/frontend/src/config.js";
import { PREPROCESSOR_FLAGS } from "../../services/preprocessor/src/config.js";
import { ROUTER_FLAGS, ROUTER_QUEUE_FLAGS } from "../../services/router/src/config.js";
import { WORKER_FLAGS } from "../../services/worker/src/config.js";

/** The services `up` starts, in start order. */
export const UP_SERVICES = ["worker", "router", "preprocessor", "frontend"] as const;
/** One of them. */
export type UpService = (typeof UP_SERVICES)[number];

/** Flags each service takes besides the common ones. */
export const SERVICE_FLAGS: Record<UpService, readonly FlagSpec[]> = {
  worker: WORKER_FLAGS.filter((f) => f.name !== "workers"),
  router: [...ROUTER_FLAGS, ...ROUTER_QUEUE_FLAGS],
  preprocessor: PREPROCESSOR_FLAGS,
  frontend: FRONTEND_FLAGS,
};

/** Flags `up` itself has. */
const UP_OWN_FLAGS = defineFlags([
  { name: "workers", type: "int", min: 1, max: 256, default: 1, help: "how many workers (mocker: hosted by one process; onnx: one process each)" },
  { name: "startup-timeout", type: "duration", min: 1, default: "180s", help: "how long the mesh may take to become healthy" },
  { name: "join", type: "string", help: "join an existing mesh: the namespace another `kvmesh up` printed, or a registry directory; unset: a mesh of its own" },
  // Why a cap by default: with node's own limit (~4 GiB here) V8 lets the heap grow to 4x what
  // was live at the last full GC, so after a burst the garbage of steady traffic piled up to
  // 2-3x the resting RSS before the next full GC (bench/results/soak). Under 2 GiB V8 grows it
  // by 1.3-2x instead (1 GiB: ~1.6x), and one runaway request fails its process, which `up`
  // restarts, instead of swapping the machine.
  { name: "service-heap-mb", type: "int", min: 0, max: 65536, default: 1024, help: "V8 heap limit of each service process in MiB (node --max-old-space-size); below 2 GiB V8 also grows the heap less between full GCs, keeping RSS flat under bursts; 0: node's default" },
]);

/** `up` names its own mesh (mesh-identity.ts): these two have no fixed default there. */
const UP_IDENTITY_HELP: Record<string, string> = {
  namespace: "mesh namespace for every service; unset: kvmesh-<http-port> (kvmesh-up-<pid> on port 0), a mesh of its own unless --join",
  "discovery-dir": "registry directory for every service; unset: ~/.kvmesh/up/<namespace>/registry (with --namespace alone: ~/.kvmesh/registry)",
};

/** Every flag of `kvmesh up`, each name once (a name several services share appears once). */
export function upSpec(): readonly FlagSpec[] {
  const seen = new Set<string>();
  const all: FlagSpec[] = [];
  const common = COMMON_FLAGS.map((f): FlagSpec => (UP_IDENTITY_HELP[f.name] ? { ...f, default: undefined, help: UP_IDENTITY_HELP[f.name] } : f));
  for (const flag of [...common, ...UP_OWN_FLAGS, ...Object.values(SERVICE_FLAGS).flat()]) {
    if (seen.has(flag.name)) continue;
    seen.add(flag.name);
    all.push(flag);
  }
  return all;
}

/**
 * The common flags forwarded as given to every service. Not these: listen and metrics ports are
 * per service, check-config is `up`'s own, and namespace / registry dir come from the mesh
 * identity (mesh-identity.ts), which `up` passes to every service itself.
 */
export const SHARED_FLAGS = COMMON_FLAGS.map((f) => f.name).filter((n) => !["listen", "metrics-port", "check-config", "namespace", "discovery-dir"].includes(n));

/**
 * The host part of `up --listen`: every service binds its own ephemeral port on it, so the port
 * given (if any) is dropped. Takes `host:port`, `[v6]:port` or a bare host; empty means loopback.
 */
export function listenHost(listen: string): string {
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::\d*)?$/.exec(listen.trim());
  if (match) return match[1];
  return listen.trim() === "" ? "127.0.0.1" : listen.trim();
}
