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
