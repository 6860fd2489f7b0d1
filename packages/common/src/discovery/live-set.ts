import type { InstanceSpec, ServiceInstance } from "./types.js";

/** Meta keys as Consul accepts them. */
const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;

/** Meta keys the backends use themselves (Consul keeps namespace and service there). */
export const RESERVED_META_PREFIX = "kvmesh_";

/** Sorts by instanceId so every backend returns the same order and sets compare cheaply. */
export function sortInstances(instances: ServiceInstance[]): ServiceInstance[] {
  return [...instances].sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
}

/**
 * A string that is equal for two live sets exactly when they hold the same instances with the
 * same fields; watches compare it to fire only on change.
 */
export function liveSetKey(instances: ServiceInstance[]): string {
  return JSON.stringify(
    sortInstances(instances).map((i) => [i.instanceId, i.service, i.namespace, i.address, i.port, sortedMeta(i.meta)]),
  );
}

function sortedMeta(meta: Record<string, string>): [string, string][] {
  return Object.entries(meta).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Fills in the namespace and validates a registration request, so that every backend rejects the
 * same mistakes with the same message.
 */
export function normalizeSpec(spec: InstanceSpec, namespace: string): ServiceInstance {
  if (spec.namespace !== undefined && spec.namespace !== namespace) {
    throw new Error(`instance namespace "${spec.namespace}" differs from the discovery namespace "${namespace}"`);
  }
  for (const [field, value] of [["service", spec.service], ["instanceId", spec.instanceId], ["address", spec.address]]) {
    if (typeof value !== "string" || value === "") throw new Error(`instance ${field} must be a non-empty string`);
  }
  if (!Number.isInteger(spec.port) || spec.port < 0 || spec.port > 65535) {
    throw new Error(`instance port must be an integer in 0..65535, got ${spec.port}`);
  }
  for (const [key, value] of Object.entries(spec.meta)) {
    // Consul's limits, applied to every backend so that a registration valid on one is valid on all.
    if (!META_KEY.test(key) || key.startsWith(RESERVED_META_PREFIX) || key.startsWith("consul-")) {
      throw new Error(`instance meta key "${key}" must match ${META_KEY} and not start with consul- or ${RESERVED_META_PREFIX}`);
    }
    if (typeof value !== "string" || value.length > 512) {
      throw new Error(`instance meta "${key}" must be a string of at most 512 characters`);
    }
  }
  return {
    service: spec.service,
    namespace,
    instanceId: spec.instanceId,
    address: spec.address,
    port: spec.port,
    meta: { ...spec.meta },
  };
}
