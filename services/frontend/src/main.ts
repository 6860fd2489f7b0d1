/**
 * `kvmesh frontend`: parse config, follow discovery (models, preprocessors), serve the OpenAI
 * REST gateway and the gRPC Frontend API, and on SIGTERM deregister → stop accepting → drain
 * open requests → exit 0.
 */
import { loadServiceConfig } from "#common/config/index.js";
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
import { ModelCatalog } from "./models.js";
import { Pipeline } from "./pipeline.js";

/** The host part of `host:port`. */
function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, "") || "127.0.0.1";
}

/** Runs the frontend; resolves -1 while it serves, or an exit code. */
export async function runFrontend(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "frontend", spec: FRONTEND_SPEC, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  const log = createLogger({ service: "frontend", level: config.logLevel });
  const registry = createMetricsRegistry("frontend");
  const metrics = new FrontendMetrics(registry);
  const discovery = discoveryFromConfig(config, log);
  const catalog = new ModelCatalog(discovery);
  const pipeline = new Pipeline(discovery, config.requestTimeoutMs);
  let accepting = true;
  const guard = new ApiKeyGuard(config.apiKey);
  const http = await startHttpGateway(hostOf(config.listen), config.httpPort, {
    pipeline, metrics, log, maxBodyBytes: config.maxBodyBytes, catalog, registry,
    preprocessorCount: () => pipeline.preprocessors.live.length,
    accepting: () => accepting,
    guard, cors: new CorsPolicy(config.allowedOrigins),
  });
  const instance = await startServiceInstance({
    service: "frontend", config, log, discovery,
    listen: config.grpcListen ?? config.listen,
    services: [createFrontendService(pipeline, catalog, guard)],
    meta: { http_port: String(http.port) },
  });
  const metricsServer = config.metricsPort === undefined ? undefined : await startMetricsServer(registry, config.metricsPort);
  log.info({ port: instance.port, http_port: http.port, metrics_port: metricsServer?.port }, "listening");
  if (config.interactive) void (await import("../../../cli/chat.js")).runChat([`--url`, `http://127.0.0.1:${http.port}`, ...(config.apiKey ? ["--api-key", config.apiKey] : [])]);
  onShutdownSignal(log, config.shutdownGraceMs, [
    async (grace) => {
      accepting = false;
      await Promise.all([instance.stop(grace), http.close(grace)]);
    },
    () => pipeline.close(),
    () => catalog.close(),
    () => metricsServer?.close(),
    () => discovery.close(),
  ]);
  return -1;
}
