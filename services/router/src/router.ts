import type { Registry } from "prom-client";
import type { Discovery } from "#common/discovery/index.js";
import { WorkerDirectory } from "#common/directory/worker-directory.js";
import { ModelNotFoundError } from "#common/errors.js";
import type { EventSubscriber } from "./events/transport.js";
import type { GrpcServiceBinding } from "#common/grpc-server.js";
import type { Logger } from "#common/logger.js";
import type { RouterConfig } from "./config.js";
import { Decider } from "./decider.js";
import type { RoutePlan } from "./decider.js";
import { EventPlane } from "./events/event-plane.js";
import { Forwarder } from "./forwarder.js";
import type { ForwarderObserver, OpenWorkerStream } from "./forwarder.js";
import { ApproxIndexer } from "./indexer/approx-indexer.js";
import type { OverlapIndex, WorkerIndexDump } from "./indexer/types.js";
import { registerReplicaMetrics } from "./replicas/replica-metrics.js";
import { ReplicaSharing } from "./replicas/replica-sharing.js";
import { createRouterMetrics } from "./router-metrics.js";
import { createSelector } from "./scheduling/selector.js";
import { ActiveSequences } from "./sequences/active-sequences.js";
import { createRouterService } from "./service.js";
import { grpcStreamOpener } from "./worker-stream.js";
import { WorkerRegistry } from "./workers/worker-registry.js";
import { WorkerWatch } from "./workers/worker-watch.js";

/** What a router is built from besides its config. */
export interface RouterDeps {
  discovery: Discovery;
  metrics: Registry;
  log: Logger;
  /** Milliseconds, monotonic; default performance.now. */
  now?: () => number;
  /** Instead of connecting to --nats-url (tests). */
  subscriber?: EventSubscriber;
  /** Instead of Worker.Generate over gRPC (tests). */
  open?: OpenWorkerStream;
  /** This replica's discovery instance id (peers tell their own reservations apart by it). */
  instanceId?: string;
}

/** A built router: its gRPC service and its lifecycle. No I/O happens until `start`. */
export interface RouterParts {
  readonly service: GrpcServiceBinding;
  /** Connects the event plane and starts following discovery. */
  start(): Promise<void>;
  /** The process started draining: long-lived streams to peer replicas end. */
  draining(): void;
  /** Stops following discovery and closes every stream, subscription and channel. */
  close(): Promise<void>;
}

/** Wires registry, index, load, decider, forwarder and service for one router process. */
export function createRouter(config: RouterConfig, deps: RouterDeps): RouterParts {
  const { log } = deps;
  const now = deps.now ?? (() => performance.now());
  const registry = new WorkerRegistry(now);
  const workers = new WorkerDirectory({ discovery: deps.discovery });
  const { clients } = workers;
  const sequences = new ActiveSequences(now);
  const metrics = createRouterMetrics(deps.metrics);
  const approx = new Map<string, ApproxIndexer>();
  const approxFor = (model: string): ApproxIndexer => {
    let index = approx.get(model);
    if (index === undefined) approx.set(model, (index = new ApproxIndexer(now)));
    return index;
  };
  const plane = config.kvEvents === "none" ? undefined : new EventPlane({
    transport: config.kvEvents, natsUrl: config.natsUrl, namespace: config.namespace, registry, clients,
    observer: metrics.feed, log, subscriber: deps.subscriber,
  });
  const indexFor = (model: string): (OverlapIndex & { dump(): WorkerIndexDump[] }) | undefined =>
    plane === undefined ? approx.get(model) : plane.feed.hasModel(model) ? plane.feed.indexer(model) : undefined;
  metrics.setIndexSizeSource(() =>
    registry.list().map((w) => ({ workerId: w.workerId, model: w.model, blocks: indexFor(w.model)?.blockCount(w.workerId) ?? 0 })));

  const selector = createSelector(config.routerMode === "direct" ? "kv" : config.routerMode, { temperature: config.routerTemperature, now, cacheAware: { now } });
  metrics.setTtftMapeSource(() => registry.list().map((w) => ({ workerId: w.workerId, model: w.model, mape: selector.ttftMape(w.workerId) })));
  const sharing: ReplicaSharing | undefined = config.replicaSharing === "off" ? undefined : new ReplicaSharing({
    replicaId: deps.instanceId ?? "router", sequences, planner: { planBlocks: (q, r): RoutePlan => decider.planBlocks(q, r) },
    registry, ttlMs: config.reservationTtlMs,
    sampleEvery: config.reservationSampleEvery, now, log, natsUrl: config.natsUrl, namespace: config.namespace, discovery: deps.discovery,
  });
  if (sharing !== undefined) registerReplicaMetrics(deps.metrics, sharing);
  const decider: Decider = new Decider({
    mode: config.routerMode, registry, indexFor, approxFor: plane === undefined ? approxFor : undefined, sequences,
    selector, reservations: sharing?.own,
    overlapWeight: config.overlapWeight, busyThreshold: config.busyThreshold,
    queue: config.routerQueueThreshold === undefined ? undefined : {
      thresholdTokens: config.routerQueueThreshold, maxLength: config.routerQueueMaxLength, maxWaitMs: config.routerQueueMaxWaitMs, order: config.routerQueueOrder, now,
      exited: metrics.queue.exited,
    },
  });
  metrics.queue.setDepthSource(() => decider.queueDepth);
  const observer: ForwarderObserver = {
    decided: metrics.forwarder.decided,
    firstToken: metrics.forwarder.firstToken,
    migrated: (failed, err) => {
      metrics.forwarder.migrated(failed, err);
      log.warn({ worker_id: failed, err: String(err) }, "worker stream broke: migrating");
    },
    retried: (failed, err) => {
      metrics.forwarder.retried(failed, err);
      log.warn({ worker_id: failed, err: String(err) }, "worker unavailable before the first token: trying another");
    },
  };
  const forwarder = new Forwarder({ decider, open: deps.open ?? grpcStreamOpener(clients), migrationLimit: config.migrationLimit, observer });
  const watch = new WorkerWatch({
    directory: workers, registry, log,
    lifecycle: {
      ready: (worker) => {
        plane?.workerReady(worker);
        decider.workersChanged();
      },
      gone: (workerId, model) => {
        plane?.workerGone(workerId);
        approx.get(model)?.removeWorker(workerId);
        sequences.removeWorker(workerId);
        decider.workersChanged();
      },
    },
  });
  const service = createRouterService({
    decider, forwarder, log, followReservations: sharing === undefined ? undefined : (call) => sharing.serve(call),
    listWorkers: (model) => registry.list(model).map((w) => ({
      workerId: w.workerId, model: w.model, address: w.address, blockSize: w.blockSize, routable: w.routable,
      exclusionReason: w.exclusionReason, indexedBlocks: indexFor(w.model)?.blockCount(w.workerId) ?? 0,
      load: w.load === undefined ? undefined : { ...w.load, workerId: w.workerId, model: w.model },
      ttftMape: selector.ttftMape(w.workerId),
    })),
    dumpIndex: (model) => {
      const index = indexFor(model);
      if (index !== undefined) return index.dump();
      if (!registry.isKnownModel(model)) throw new ModelNotFoundError(`model "${model}" is not served by any worker`, { param: "model" });
      return [];
    },
  });

  return {
    service,
    start: async () => {
      await plane?.start();
      watch.start();
      workers.start();
      await sharing?.start();
    },
    draining: () => sharing?.stopStreams(),
    close: async () => {
      watch.close();
      await sharing?.close();
      await plane?.close();
      workers.close();
    },
  };
}
