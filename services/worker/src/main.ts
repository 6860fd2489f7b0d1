/**
 * `kvmesh worker`: parse config, load the model, start one worker (or N mocker workers), serve
 * until SIGTERM, then deregister → drain → close engines → close NATS → exit 0.
 */
import { loadTemplateOverride } from "#common/chat-template-arg.js";
import { loadServiceConfig } from "#common/config/index.js";
import { connectNats } from "#common/events/nats-connection.js";
import { NatsEventPublisher } from "./events/nats-publisher.js";
import { createLogger } from "#common/logger.js";
import { createMetricsRegistry, startMetricsServer } from "#common/metrics.js";
import { discoveryFromConfig } from "#common/service-runtime.js";
import { onShutdownSignal } from "#common/shutdown.js";
import { WORKER_SPEC } from "./config.js";
import { WorkerMetrics } from "./metrics.js";
import { defaultModelName, resolveModel } from "#models/resolve-model.js";
import { startWorkerInstance } from "./worker-instance.js";
import type { WorkerInstance } from "./worker-instance.js";

/** Runs the worker; resolves -1 while it serves (it exits from the shutdown handler) or an exit code. */
export async function runWorker(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "worker", spec: WORKER_SPEC, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config;
  if (config.workers > 1 && config.engine === "onnx") {
    console.error("kvmesh worker: --workers > 1 is for the mocker and echo engines (one onnx worker per process)");
    return 2;
  }
  let chatTemplate: string | undefined;
  try {
    chatTemplate = config.chatTemplate === undefined ? undefined : loadTemplateOverride(config.chatTemplate).template;
  } catch (err) {
    console.error(`kvmesh worker: ${(err as Error).message}`);
    return 2;
  }
  const log = createLogger({ service: "worker", level: config.logLevel });
  // A local directory, a Hugging Face repo id (downloaded once into the hub cache), or the tiny model.
  const modelDir = await resolveModel(config.model, { log, onnxVariant: config.onnxVariant });
  const modelName = config.modelName ?? defaultModelName(config.model, modelDir);
  log.info({ model_dir: modelDir, model: modelName }, "model resolved");
  const registry = createMetricsRegistry("worker");
  const metrics = new WorkerMetrics(registry);
  const discovery = discoveryFromConfig(config, log);
  const nats = config.natsUrl ? await connectNats({ url: config.natsUrl, name: `worker-${process.pid}`, log }) : undefined;
  const publisher = nats ? new NatsEventPublisher({ connection: nats, namespace: config.namespace, log }) : undefined;
  // Bound before the workers register (their discovery records carry the port); logged after their
  // "listening" lines, as before.
  const metricsServer = config.metricsPort === undefined ? undefined : await startMetricsServer(registry, config.metricsPort);
  const workers: WorkerInstance[] = [];
  for (let i = 0; i < config.workers; i++) {
    workers.push(await startWorkerInstance({ config, modelDir, modelName, chatTemplate, log, metrics, discovery, publisher, metricsPort: metricsServer?.port }));
  }
  if (metricsServer) log.info({ metrics_port: metricsServer.port }, "metrics listening");
  onShutdownSignal(log, config.shutdownGraceMs, [
    (grace) => Promise.all(workers.map((w) => w.handle.stop(grace))).then(() => undefined),
    () => publisher?.close(),
    () => metricsServer?.close(),
    () => discovery.close(),
  ]);
  return -1;
}
