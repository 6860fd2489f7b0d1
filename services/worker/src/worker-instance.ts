/**
 * One worker: runner → engine → event bridge → Worker service → a registered server. The
 * mocker process builds several of these (`--workers N`), each with its own id and port.
 */
import { randomUUID } from "node:crypto";
import type { Discovery } from "#common/discovery/index.js";
import type { EventPublisher } from "./events/event-publisher.js";
import type { Logger } from "#common/logger.js";
import { startServiceInstance } from "#common/service-runtime.js";
import type { ServiceInstanceHandle } from "#common/service-runtime.js";
import type { WorkerConfig } from "./config.js";
import { EngineCore } from "./engine/engine-core.js";
import { KvEventBridge, newEpoch } from "./events/kv-event-bridge.js";
import type { WorkerMetrics } from "./metrics.js";
import { buildModelCard } from "./model-card.js";
import { buildRunner } from "./runner-factory.js";
import { createWorkerService } from "./service.js";

/** What every worker of the process shares. */
export interface WorkerInstanceDeps {
  readonly config: WorkerConfig;
  readonly modelDir: string;
  /** Served model name. */
  readonly modelName: string;
  /** The --chat-template text, when given. */
  readonly chatTemplate?: string;
  readonly log: Logger;
  readonly metrics: WorkerMetrics;
  readonly discovery: Discovery;
  readonly publisher?: EventPublisher;
  /** The process's Prometheus port (shared by every worker it hosts), registered in discovery. */
  readonly metricsPort?: number;
}

/** A serving worker. */
export interface WorkerInstance {
  readonly workerId: string;
  readonly engine: EngineCore;
  readonly handle: ServiceInstanceHandle;
}

/** Builds and starts one worker; it is registered and SERVING when this resolves. */
export async function startWorkerInstance(deps: WorkerInstanceDeps): Promise<WorkerInstance> {
  const { config } = deps;
  const workerId = `worker-${randomUUID().slice(0, 8)}`;
  const log = deps.log.child({ worker_id: workerId });
  const built = await buildRunner(config, deps.modelDir);
  const { modelName } = deps;
  const engine = new EngineCore({
    runner: built.runner,
    maxNumSeqs: config.maxNumSeqs,
    maxBatchedTokens: config.maxBatchedTokens,
    maxWaiting: config.maxWaiting,
    contextLength: built.contextLength,
    eosTokenIds: built.model.eosTokenIds,
    hooks: deps.metrics.hooksFor(workerId, modelName),
  });
  deps.metrics.track(workerId, engine, modelName, built.runner.blockSize);
  const identity = { workerId, epoch: newEpoch(), model: modelName };
  const bridge = new KvEventBridge({ engine, identity, ringBytes: config.eventRingBytes, publisher: deps.publisher, loadIntervalMs: config.loadIntervalMs });
  const card = buildModelCard({
    model: built.model,
    name: modelName,
    engine: config.engine,
    contextLength: engine.maxModelLen,
    blockSize: built.runner.blockSize,
    totalKvBlocks: built.runner.numBlocks,
    chatTemplate: deps.chatTemplate,
  });
  const service = createWorkerService({ engine, bridge, identity, card, log, loadIntervalMs: config.loadIntervalMs });
  const handle = await startServiceInstance({
    service: "worker",
    config,
    log,
    discovery: deps.discovery,
    services: [service],
    instanceId: workerId,
    metricsPort: deps.metricsPort,
    meta: { model: modelName, block_size: String(built.runner.blockSize), engine: config.engine, epoch: String(identity.epoch), context_length: String(engine.maxModelLen) },
    closers: [() => engine.close(), () => bridge.close(), () => built.runner.close()],
  });
  log.info(
    { port: handle.port, model: modelName, engine: config.engine, block_size: built.runner.blockSize, kv_blocks: built.runner.numBlocks, epoch: String(identity.epoch) },
    "listening",
  );
  return { workerId, engine, handle };
}
