import type { KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";

/**
 * What a transport (a NATS subscription, a worker's StreamKvEvents) delivers. Transports only
 * carry messages: they check no epoch or event id. The KvEventFeed owns order and resync.
 * Handlers run synchronously, in arrival order.
 */
export interface EventHandlers {
  /** A batch of one worker's events, as it arrived. */
  onBatch(batch: KvEventBatch): void;
  /** A worker's load report. */
  onLoad(load: WorkerLoad): void;
  /**
   * The transport lost messages (NATS reconnected; a stream could not resume, OUT_OF_RANGE):
   * the receiver resyncs the workers concerned (DumpKvState) before trusting its index again.
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
