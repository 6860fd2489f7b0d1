/** `kvmesh preprocessor`: wires config, discovery, the worker directory and model assets, the router pool and the server. */
import { loadServiceConfig } from "#common/config/index.js";
import { WorkerDirectory } from "#common/directory/worker-directory.js";
import { createLogger } from "#common/logger.js";
import { createMetricsRegistry, startMetricsServer } from "#common/metrics.js";
import { discoveryFromConfig, startServiceInstance } from "#common/service-runtime.js";
import { ReplicaPool } from "#common/replica-pool.js";
import { onShutdownSignal } from "#common/shutdown.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import { loadTemplateOverride } from "./chat-template/template-source.js";
import type { TemplateSource } from "./chat-template/template-source.js";
import { PREPROCESSOR_CONFIG_SPEC } from "./config.js";
import { createPreprocessorMetrics } from "./metrics.js";
import { modelAssetsFromCard } from "./model-assets.js";
import { preprocessorService } from "./service.js";
import { PromptPool } from "./tokenizer/prompt-pool.js";
import { ModelAssetsCatalog } from "./upstream/model-assets-catalog.js";

/** Runs the preprocessor; resolves to an exit code, or -1 while it keeps serving (exit on SIGTERM). */
export async function runPreprocessor(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "preprocessor", spec: PREPROCESSOR_CONFIG_SPEC, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  let templateOverride: TemplateSource | undefined;
  try {
    templateOverride = config.chatTemplate === undefined ? undefined : loadTemplateOverride(config.chatTemplate);
  } catch (err) {
    console.error(`kvmesh preprocessor: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const log = createLogger({ service: "preprocessor", level: config.logLevel });
  const discovery = discoveryFromConfig(config, log);
  const registry = createMetricsRegistry("preprocessor");
  const metricsServer = config.metricsPort === undefined ? undefined : await startMetricsServer(registry, config.metricsPort);
  const prompts = new PromptPool();
  const workers = new WorkerDirectory({ discovery, cardTimeoutMs: config.cardTimeoutMs });
  const catalog = new ModelAssetsCatalog({ directory: workers, build: (card) => modelAssetsFromCard(card, templateOverride, prompts), log });
  const routers = new ReplicaPool(discovery, "router", RouterClient);
  workers.start();
  const instance = await startServiceInstance({
    service: "preprocessor",
    config,
    log,
    discovery,
    services: [preprocessorService({ catalog, routers, log, metrics: createPreprocessorMetrics(registry), parsers: { toolCall: config.toolCallParser, reasoning: config.reasoningParser } })],
    maxReceiveBytes: config.maxBodyBytes,
    metricsPort: metricsServer?.port,
    closers: [() => workers.close(), () => routers.close(), () => metricsServer?.close(), () => discovery.close(), () => prompts.destroy()],
  });
  log.info({ port: instance.port, metrics_port: metricsServer?.port, instance_id: instance.instanceId }, "listening");
  onShutdownSignal(log, config.shutdownGraceMs, [instance.stop]);
  return -1;
}
