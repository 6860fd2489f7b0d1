/**
 * `kvmesh frontend`: parse config, follow discovery (models, preprocessors), serve the OpenAI
 * REST gateway and the gRPC Frontend API, and on SIGTERM deregister → stop accepting → drain
 * open requests → exit 0.
 */
import { loadServiceConfig } from "#common/config/index.js";
import type { FlagSpec } from "#common/config/index.js";
import { WorkerDirectory } from "#common/directory/worker-directory.js";
import { createLogger } from "#common/logger.js";
import { createMetricsRegistry, startMetricsServer } from "#common/metrics.js";
import { discoveryFromConfig, startServiceInstance } from "#common/service-runtime.js";
import { onShutdownSignal } from "#common/shutdown.js";
import { FRONTEND_SPEC } from "./config.js";
import { createFrontendService } from "./grpc-service.js";
import { ApiKeyGuard } from "./http/auth.js";
import { CorsPolicy } from "./http/cors.js";
import { startHttpGateway } from "./http/server.js";
import { FrontendMetrics } from "./metrics.js";
import { ServedModels } from "./models.js";
import { ScrapeTargets } from "./scrape-targets.js";
import { Pipeline } from "./pipeline.js";

/** The host part of `host:port`. */
function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, "") || "127.0.0.1";
}

/** What a caller (the CLI's `--interactive`) may add to `kvmesh frontend` without the service importing it. */
export interface FrontendHooks {
  /** Extra flags, parsed and listed in --help with the frontend's own; their values reach onListening. */
  readonly flags?: readonly FlagSpec[];
  /** Called once the frontend listens, with its REST port and the whole parsed config. */
  onListening?(listening: { httpPort: number; config: Readonly<Record<string, unknown>> }): void;
}

/** Runs the frontend; resolves -1 while it serves, or an exit code. */
export async function runFrontend(argv: string[], hooks: FrontendHooks = {}): Promise<number> {
  // The extra flags only add keys that the frontend never reads, so its config type still holds.
  const spec = [...FRONTEND_SPEC, ...(hooks.flags ?? [])] as unknown as typeof FRONTEND_SPEC;
  const loaded = loadServiceConfig({ service: "frontend", spec, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  const log = createLogger({ service: "frontend", level: config.logLevel });
  const registry = createMetricsRegistry("frontend");
  const metrics = new FrontendMetrics(registry);
  const discovery = discoveryFromConfig(config, log);
  const workers = new WorkerDirectory({ discovery });
  const catalog = new ServedModels(workers, discovery);
  workers.start();
  const scrapeTargets = new ScrapeTargets(discovery);
  const pipeline = new Pipeline(discovery, config.requestTimeoutMs);
  let accepting = true;
  const guard = new ApiKeyGuard(config.apiKey);
  const http = await startHttpGateway(hostOf(config.listen), config.httpPort, {
    pipeline, metrics, log, maxBodyBytes: config.maxBodyBytes, catalog, registry, scrapeTargets,
    preprocessorCount: () => pipeline.preprocessors.live.length,
    accepting: () => accepting,
    requestTimeoutMs: config.requestTimeoutMs,
    guard, cors: new CorsPolicy(config.allowedOrigins),
  });
  const metricsServer = config.metricsPort === undefined ? undefined : await startMetricsServer(registry, config.metricsPort);
  const instance = await startServiceInstance({
    service: "frontend", config, log, discovery, metricsPort: metricsServer?.port,
    listen: config.grpcListen ?? config.listen,
    services: [createFrontendService(pipeline, catalog, guard, log)],
    maxReceiveBytes: config.maxBodyBytes,
    meta: { http_port: String(http.port) },
  });
  log.info({ port: instance.port, http_port: http.port, metrics_port: metricsServer?.port }, "listening");
  hooks.onListening?.({ httpPort: http.port, config });
  onShutdownSignal(log, config.shutdownGraceMs, [
    async (grace) => {
      accepting = false;
      await Promise.all([instance.stop(grace), http.close(grace)]);
    },
    () => pipeline.close(),
    () => catalog.close(),
    () => workers.close(),
    () => scrapeTargets.close(),
    () => metricsServer?.close(),
    () => discovery.close(),
  ]);
  return -1;
}
