/** `host:port` of a discovered instance, bracketing IPv6 hosts. */
import type { ServiceInstance } from "#common/discovery/index.js";

/** The address a gRPC client dials for `instance`. */
export function endpointOf(instance: Pick<ServiceInstance, "address" | "port">): string {
  const host = instance.address.includes(":") && !instance.address.startsWith("[") ? `[${instance.address}]` : instance.address;
  return `${host}:${instance.port}`;
}
