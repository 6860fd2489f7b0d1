import { connectNats } from "#common/events/nats-connection.js";
import type { Logger } from "#common/logger.js";
import type { KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import type { WorkerId } from "../indexer/types.js";
import type { ClientCache } from "#common/client-cache.js";
import type { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import type { WorkerRegistry, WorkerView } from "../workers/worker-registry.js";
import type { DumpFetcherOptions } from "./dump-fetcher.js";
import { DumpFetcher } from "./dump-fetcher.js";
import { GrpcEventSource } from "./grpc-event-source.js";
import type { GrpcEventSourceOptions } from "./grpc-event-source.js";
import { KvEventFeed } from "./kv-event-feed.js";
import type { FeedObserver } from "./kv-event-feed.js";
import { NatsEventSubscriber } from "./nats-subscriber.js";
import type { EventHandlers, EventSubscriber } from "./transport.js";

/** Where events come from (--kv-events, without `none`). */
export type EventTransport = "nats" | "grpc";

/** Settings of {@link EventPlane}. */
export interface EventPlaneOptions {
  transport: EventTransport;
  natsUrl?: string;
  namespace: string;
  registry: WorkerRegistry;
  /** The worker directory's client cache (one channel per worker). */
  clients: Pick<ClientCache<WorkerClient>, "get">;
  observer: FeedObserver;
  log: Logger;
  /** Instead of connecting to --nats-url (tests). */
  subscriber?: EventSubscriber;
  /** Retry pacing of broken streams and failed dumps (tests); defaults otherwise. */
  retry?: { stream?: GrpcEventSourceOptions["backoff"]; dumpRetryMs?: DumpFetcherOptions["retryMs"] };
}

/**
 * Feeds the exact KV index from worker events. The transport only delivers: over NATS one
 * subscription per model (a reconnect resyncs the model's workers), or one GrpcEventSource
 * per worker following its StreamKvEvents (a stream that cannot resume resyncs that worker).
 * Order and resync belong to the KvEventFeed; its dump requests go to the one DumpFetcher.
 */
export class EventPlane {
  readonly feed: KvEventFeed;
  private subscriber: EventSubscriber | undefined;
  private readonly models = new Set<string>();
  private readonly sources = new Map<WorkerId, GrpcEventSource>();
  private readonly dumps: DumpFetcher;

  constructor(private readonly options: EventPlaneOptions) {
    this.subscriber = options.subscriber;
    this.feed = new KvEventFeed((workerId) => this.dumps.request(workerId), options.observer);
    this.dumps = new DumpFetcher({
      clientOf: (workerId) => {
        const worker = options.registry.get(workerId);
        return worker === undefined || !this.feed.isTracked(workerId) ? undefined : options.clients.get(workerId, worker.address);
      },
      onDump: (workerId, dump) => {
        this.feed.applyDump(workerId, dump);
        this.sources.get(workerId)?.resume();
      },
      log: options.log,
      retryMs: options.retry?.dumpRetryMs,
    });
  }

  /** Connects NATS when that is the transport. */
  async start(): Promise<void> {
    if (this.options.transport !== "nats" || this.subscriber !== undefined) return;
    const connection = await connectNats({ url: this.options.natsUrl!, name: "router", log: this.options.log });
    this.subscriber = new NatsEventSubscriber({ connection, namespace: this.options.namespace, log: this.options.log });
  }

  /** A worker's card arrived: index it (subscribe first, so no event falls before the dump). */
  workerReady(worker: WorkerView): void {
    if (this.feed.isTracked(worker.workerId)) return;
    if (this.options.transport === "nats") {
      this.subscribeModel(worker.model);
      this.feed.track(worker.workerId, worker.model);
      return;
    }
    const { workerId } = worker;
    const source = new GrpcEventSource({
      address: worker.address,
      client: this.options.clients.get(workerId, worker.address),
      resumeAfter: () => this.feed.resumePoint(workerId),
      handlers: this.handlers(() => this.feed.resync(workerId, "reconnect")),
      log: this.options.log,
      backoff: this.options.retry?.stream,
    });
    this.sources.set(worker.workerId, source);
    this.feed.track(worker.workerId, worker.model);
    source.start();
  }

  /** The worker left: its blocks go and its stream closes. */
  workerGone(workerId: WorkerId): void {
    this.feed.untrack(workerId);
    const source = this.sources.get(workerId);
    this.sources.delete(workerId);
    void source?.close();
  }

  /** Closes every stream and subscription. */
  async close(): Promise<void> {
    this.dumps.close();
    await Promise.all([...this.sources.values()].map((s) => s.close()));
    this.sources.clear();
    await this.subscriber?.close();
  }

  private subscribeModel(model: string): void {
    if (this.models.has(model) || this.subscriber === undefined) return;
    this.models.add(model);
    this.subscriber.subscribe(model, this.handlers(() => {
      this.options.log.info({ model }, "event transport reconnected: resyncing every worker of the model");
      this.feed.resyncAll(model);
    }));
  }

  /** What a transport delivers, into the feed; `onReconnect` names whom a loss concerns. */
  private handlers(onReconnect: () => void): EventHandlers {
    return { onBatch: (batch) => this.onBatch(batch), onLoad: (load) => this.onLoad(load), onReconnect };
  }

  private onBatch(batch: KvEventBatch): void {
    this.feed.applyBatch(batch);
  }

  private onLoad(load: WorkerLoad): void {
    if (!this.feed.isTracked(load.workerId)) return;
    this.options.registry.setLoad(load.workerId, load);
    this.feed.observeLoad(load.workerId, load.epoch, load.lastEventId);
  }
}
