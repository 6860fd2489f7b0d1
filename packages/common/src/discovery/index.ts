import { ConsulDiscovery } from "./consul-discovery.js";
import { FileDiscovery } from "./file-discovery.js";
import type { Clock, Discovery, DiscoveryLog } from "./types.js";

export type {
  Clock, Discovery, DiscoveryLog, InstanceSpec, Registration, ServiceInstance, Watch, WatchCallback,
} from "./types.js";
export { dialAddress, hostPort } from "./address.js";
export { ConsulDiscovery } from "./consul-discovery.js";
export { FileDiscovery } from "./file-discovery.js";

/** Which backend, and its settings (from `--discovery`, `--discovery-dir`, `--discovery-ttl`, `--consul-url`). */
export interface DiscoveryConfig {
  kind: "file" | "consul";
  namespace: string;
  /** Registry root of the file backend (`~/.kvmesh/registry` by default in the CLI). */
  dir: string;
  /** Instance TTL in ms; heartbeats run every ttl/3. */
  ttlMs: number;
  /** Consul agent URL (consul backend only). */
  consulUrl?: string;
  log?: DiscoveryLog;
  /** Clock for the file backend's record expiry (tests). */
  now?: Clock;
}

/** Creates the configured discovery backend; no I/O happens until the first call. */
export function createDiscovery(config: DiscoveryConfig): Discovery {
  switch (config.kind) {
    case "file":
      return new FileDiscovery({ namespace: config.namespace, dir: config.dir, ttlMs: config.ttlMs, log: config.log, now: config.now });
    case "consul":
      return new ConsulDiscovery({ namespace: config.namespace, consulUrl: config.consulUrl, ttlMs: config.ttlMs, log: config.log });
    default:
      throw new Error(`unknown discovery kind "${(config as { kind: string }).kind}" (expected file or consul)`);
  }
}
