/** `kvmesh router`: config, logger, parts, one registered instance, graceful shutdown. */
import { randomUUID } from "node:crypto";
import { createLogger } from "#common/logger.js";
import { createMetricsRegistry, startMetricsServer } from "#common/metrics.js";
import { discoveryFromConfig, startServiceInstance } from "#common/service-runtime.js";
import { onShutdownSignal } from "#common/shutdown.js";
import { loadRouterConfig } from "./config.js";
import { createRouter } from "./router.js";

/** Runs the router; resolves -1 while it serves (it exits from its SIGTERM handler), else an exit code. */
export async function runRouter(argv: string[]): Promise<number> {
  const loaded = loadRouterConfig(argv, process.env);
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  const log = createLogger({ service: "router", level: config.logLevel });
  const discovery = discoveryFromConfig(config, log);
  const registry = createMetricsRegistry("router");
  // Chosen here, not by the instance: the router tells its own reservations from its peers' by it.
  const instanceId = `router-${randomUUID().slice(0, 8)}`;
  const router = createRouter(config, { discovery, metrics: registry, log, instanceId });
  await router.start();
  const metrics = config.metricsPort === undefined ? undefined : await startMetricsServer(registry, config.metricsPort);
  const instance = await startServiceInstance({
    service: "router", config, log, discovery, services: [router.service], instanceId,
    meta: { router_mode: config.routerMode, kv_events: config.kvEvents },
    metricsPort: metrics?.port,
    closers: [router.close, () => metrics?.close(), () => discovery.close()],
  });
  instance.server.draining.addEventListener("abort", () => router.draining());
  log.info({ port: instance.port, metrics_port: metrics?.port, instance_id: instance.instanceId, mode: config.routerMode, kv_events: config.kvEvents }, "listening");
  onShutdownSignal(log, config.shutdownGraceMs, [instance.stop]);
  return -1;
}
