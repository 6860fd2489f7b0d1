import type { KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";

/** Sends a worker's KV events and load reports to every router (one per worker process). */
export interface EventPublisher {
  /** Publishes one batch on the kv-events subject of `batch.model`; never throws. */
  publishKvEvents(batch: KvEventBatch): void;
  /** Publishes one load report on the load subject of `load.model`; never throws. */
  publishLoad(load: WorkerLoad): void;
  /** Flushes what is buffered and releases the transport. */
  close(): Promise<void>;
}

/** What a subscriber delivers for one model. Handlers run synchronously, in arrival order. */
export interface EventHandlers {
  /** A batch of one worker's events, in event-id order. */
  onBatch(batch: KvEventBatch): void;
  /** A worker's load report. */
  onLoad(load: WorkerLoad): void;
  /**
   * The transport reconnected: anything published meanwhile may be lost, so the receiver
   * resyncs every worker (DumpKvState) before trusting its index again.
   */
  onReconnect(): void;
}

/** One model's subscription; `unsubscribe` is idempotent. */
export interface EventSubscription {
  unsubscribe(): void;
}

/** Receives KV events and load reports of every worker (one per router process). */
export interface EventSubscriber {
  /** Starts delivering `model`'s events and load reports to `handlers`. */
  subscribe(model: string, handlers: EventHandlers): EventSubscription;
  /** Ends every subscription, delivering what already arrived, and releases the transport. */
  close(): Promise<void>;
}

/** The few pino methods the event plane logs with (a pino logger fits). */
export interface EventLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}
