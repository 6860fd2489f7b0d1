import type { NatsConnection } from "@nats-io/nats-core";
import { KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import { kvEventsSubject, loadSubject } from "#common/events/subjects.js";
import type { EventLog } from "#common/events/types.js";
import type { EventPublisher } from "./event-publisher.js";

/** Settings of a {@link NatsEventPublisher}. */
export interface NatsEventPublisherOptions {
  connection: NatsConnection;
  /** The `--namespace` flag; part of every subject. */
  namespace: string;
  log: EventLog;
  /** Drain the connection on close (default true); false when the connection is shared. */
  ownsConnection?: boolean;
}

/**
 * Publishes protobuf `KvEventBatch` / `WorkerLoad` payloads on the model's subjects. While
 * disconnected the client buffers; a publish that still fails is logged and dropped, because
 * routers detect the gap from event ids (or resync on reconnect) and a worker must never stop
 * serving over its event plane.
 */
export class NatsEventPublisher implements EventPublisher {
  private closed = false;

  constructor(private readonly options: NatsEventPublisherOptions) {}

  /** See {@link EventPublisher.publishKvEvents}. */
  publishKvEvents(batch: KvEventBatch): void {
    const subject = kvEventsSubject(this.options.namespace, batch.model);
    this.publish(subject, KvEventBatch.encode(batch).finish());
  }

  /** See {@link EventPublisher.publishLoad}. */
  publishLoad(load: WorkerLoad): void {
    this.publish(loadSubject(this.options.namespace, load.model), WorkerLoad.encode(load).finish());
  }

  /** Flushes pending publishes, then drains the connection when this publisher owns it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { connection } = this.options;
    if (connection.isClosed()) return;
    if (this.options.ownsConnection ?? true) {
      await connection.drain();
    } else {
      await connection.flush().catch((err: unknown) => {
        this.options.log.warn({ err: String(err) }, "nats flush failed on close");
      });
    }
  }

  private publish(subject: string, payload: Uint8Array): void {
    if (this.closed) return;
    try {
      this.options.connection.publish(subject, payload);
    } catch (err) {
      this.options.log.warn({ subject, err: String(err) }, "nats publish failed; event dropped");
    }
  }
}
