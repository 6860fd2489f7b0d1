/**
 * The one `host:port` helper: every caller that dials a discovered instance (gRPC clients) or
 * builds a URL from its host (metrics scrape targets) goes through it, so IPv6 hosts are
 * bracketed the same way everywhere.
 */
import type { ServiceInstance } from "./types.js";

/** `host:port`, bracketing an IPv6 host (`[::1]:50051`); an already bracketed host is kept. */
export function hostPort(host: string, port: number | string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The address a gRPC client dials for `instance`. */
export function dialAddress(instance: Pick<ServiceInstance, "address" | "port">): string {
  return hostPort(instance.address, instance.port);
}
