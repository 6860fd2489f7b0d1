/**
 * The one way a kvmesh service instance comes up and goes down: gRPC server (health,
 * reflection), registration in discovery, and the shutdown order of ARCHITECTURE.md —
 * deregister → NOT_SERVING → stop accepting → drain streams → close the rest (NATS...).
 * A process may host several instances (the mocker's `--workers N`); each has its own server,
 * id and registration, and `main.ts` stops them together from one signal handler.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { ConfigOf } from "./config/index.js";
import type { COMMON_FLAGS } from "./config/common-flags.js";
import type { Discovery, Registration } from "./discovery/index.js";
import { createDiscovery } from "./discovery/index.js";
import { startGrpcServer } from "./grpc-server.js";
import type { GrpcServerHandle, GrpcServiceBinding } from "./grpc-server.js";
import type { Logger } from "./logger.js";

/** The common flags as parsed. */
export type CommonConfig = ConfigOf<typeof COMMON_FLAGS>;

/** Creates the discovery backend the common flags select. */
export function discoveryFromConfig(config: CommonConfig, log: Logger): Discovery {
  return createDiscovery({
    kind: config.discovery,
    namespace: config.namespace,
    dir: config.discoveryDir,
    ttlMs: config.discoveryTtlMs,
    consulUrl: config.consulUrl,
    log,
  });
}

/** The host other services dial: --advertise-host, else the listen host (a wildcard becomes the hostname). */
export function advertisedHost(config: Pick<CommonConfig, "listen" | "advertiseHost">): string {
  if (config.advertiseHost) return config.advertiseHost;
  const host = config.listen.slice(0, config.listen.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  return host === "0.0.0.0" || host === "::" || host === "" ? hostname() : host;
}

/** What one instance serves and registers. */
export interface InstanceOptions {
  /** `worker`, `router`, ... (the discovery service name). */
  service: string;
  config: CommonConfig;
  log: Logger;
  discovery: Discovery;
  services: readonly GrpcServiceBinding[];
  /** Default: `<service>-<random>`. */
  instanceId?: string;
  /** Discovery metadata (model, block_size...). */
  meta?: Record<string, string>;
  /** Listen address override (several instances in one process each bind their own port). */
  listen?: string;
  /** Largest request message the server accepts (doors into the mesh: --max-body-bytes). */
  maxReceiveBytes?: number;
  /** Port of the process's Prometheus endpoint, registered as meta `metrics_port` so the frontend's /health can list scrape targets. */
  metricsPort?: number;
  /** Closed after the drain, in order (event publishers, engines...). */
  closers?: ReadonlyArray<() => Promise<void> | void>;
}

/** A serving, registered instance. */
export interface ServiceInstanceHandle {
  readonly instanceId: string;
  readonly port: number;
  readonly server: GrpcServerHandle;
  readonly registration: Registration;
  /** Deregister → drain (NOT_SERVING, refuse new calls, wait up to graceMs) → closers. Idempotent. */
  stop(graceMs: number): Promise<void>;
}

/** Binds the server, marks it SERVING and registers it; the caller logs "listening". */
export async function startServiceInstance(options: InstanceOptions): Promise<ServiceInstanceHandle> {
  const { config, log } = options;
  const instanceId = options.instanceId ?? `${options.service}-${randomUUID().slice(0, 8)}`;
  const server = await startGrpcServer({ address: options.listen ?? config.listen, log, services: options.services, maxReceiveBytes: options.maxReceiveBytes });
  server.setServing(true);
  const registration = await options.discovery.register({
    service: options.service,
    instanceId,
    address: advertisedHost(config),
    port: server.port,
    meta: { ...options.meta, ...(options.metricsPort === undefined ? {} : { metrics_port: String(options.metricsPort) }) },
  });
  let stopped: Promise<void> | undefined;
  const stop = (graceMs: number): Promise<void> => {
    stopped ??= (async () => {
      // Deregistering first means callers stop picking us before the server refuses them.
      await registration.deregister().catch((err: unknown) => log.warn({ err: String(err) }, "deregister failed"));
      await server.drain(graceMs);
      for (const close of options.closers ?? []) {
        await Promise.resolve(close()).catch((err: unknown) => log.warn({ err: String(err) }, "close failed"));
      }
    })();
    return stopped;
  };
  return { instanceId, port: server.port, server, registration, stop };
}
