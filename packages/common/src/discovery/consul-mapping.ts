import { RESERVED_META_PREFIX } from "./live-set.js";
import type { ServiceInstance } from "./types.js";

/**
 * How instances map onto Consul services:
 * - Consul service Name = `<namespace>-<service>` (e.g. `kvmesh-worker`), so one health query
 *   answers "live workers of this namespace"; ID = instanceId.
 * - Meta carries the instance's own meta (a worker's `model`, `block_size`, `engine`...) plus
 *   `kvmesh_namespace`, `kvmesh_service` and `kvmesh_role` (the service kind, for operators'
 *   filters); namespace and service are checked on the way back: `a-b` + `c` and `a` + `b-c`
 *   share a Consul name but never mix. Meta over Consul's key count is refused before any call.
 * - Tags (`kvmesh`, `role=<service>`, `namespace=<ns>`, `model=<model>` when there is one) are
 *   for people and the Consul UI/CLI filters only; nothing reads them back.
 * - One TTL check per instance (Consul names it `service:<instanceId>`), refreshed by heartbeats.
 *   It passes only while the process lives, and the process registers only once its gRPC
 *   server is SERVING (service-runtime.ts), so a passing check means "ready". Draining is
 *   Consul's service maintenance mode, which adds a critical check.
 */
export function consulServiceName(namespace: string, service: string): string {
  return `${namespace}-${service}`;
}

/** Consul's id for the single check registered with a service. */
export function consulCheckId(instanceId: string): string {
  return `service:${instanceId}`;
}

const NAMESPACE_KEY = `${RESERVED_META_PREFIX}namespace`;
const SERVICE_KEY = `${RESERVED_META_PREFIX}service`;
const ROLE_KEY = `${RESERVED_META_PREFIX}role`;

/** Consul's limit on meta keys per service (key and value rules are checked in normalizeSpec). */
const META_KEYS_MAX = 64;

/** Human-facing tags of an instance (Consul UI and `consul catalog services -tags`). */
export function consulTags(instance: ServiceInstance): string[] {
  const tags = ["kvmesh", `role=${instance.service}`, `namespace=${instance.namespace}`];
  if (instance.meta.model) tags.push(`model=${instance.meta.model}`);
  return tags;
}

/** Consul's minimum for DeregisterCriticalServiceAfter (the reaper ignores anything shorter). */
export const DEREGISTER_CRITICAL_AFTER = "1m";

/** The Meta Consul stores for an instance: its own plus the reserved kvmesh_* keys. */
export function consulMeta(instance: ServiceInstance): Record<string, string> {
  const meta = { ...instance.meta, [NAMESPACE_KEY]: instance.namespace, [SERVICE_KEY]: instance.service, [ROLE_KEY]: instance.service };
  const count = Object.keys(meta).length;
  if (count > META_KEYS_MAX) throw new Error(`instance meta has ${count} keys with kvmesh's own; Consul allows ${META_KEYS_MAX}`);
  return meta;
}

/** The options for `consul.agent.service.register` (the client's lower-case form). */
export function consulRegisterOptions(instance: ServiceInstance, ttlMs: number): Record<string, unknown> {
  return {
    id: instance.instanceId,
    name: consulServiceName(instance.namespace, instance.service),
    address: instance.address,
    port: instance.port,
    tags: consulTags(instance),
    meta: consulMeta(instance),
    check: {
      name: "kvmesh heartbeat",
      notes: "TTL refreshed by the instance every ttl/3 while it serves; registered only once SERVING",
      ttl: `${Math.ceil(ttlMs)}ms`,
      // A TTL check starts critical in Consul; the first heartbeat is the registration itself.
      status: "passing",
      deregistercriticalserviceafter: DEREGISTER_CRITICAL_AFTER,
    },
  };
}

/** The parts of a `/v1/health/service` entry this backend reads. */
export interface ConsulHealthEntry {
  Node?: { Address?: string };
  Service?: { ID?: string; Address?: string; Port?: number; Meta?: Record<string, string> | null };
}

/**
 * Maps one health entry back to an instance, or undefined when it belongs to another
 * namespace/service or is not ours at all.
 */
export function instanceFromEntry(entry: ConsulHealthEntry, namespace: string, service: string): ServiceInstance | undefined {
  const svc = entry.Service;
  const meta = svc?.Meta ?? {};
  if (!svc?.ID || meta[NAMESPACE_KEY] !== namespace || meta[SERVICE_KEY] !== service) return undefined;
  const own = Object.fromEntries(Object.entries(meta).filter(([k]) => !k.startsWith(RESERVED_META_PREFIX)));
  return {
    service,
    namespace,
    instanceId: svc.ID,
    // Consul leaves Service.Address empty when the registration gave none: the node's is meant.
    address: svc.Address || entry.Node?.Address || "",
    port: svc.Port ?? 0,
    meta: own,
  };
}
