import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import { kvEventsSubject, loadSubject } from "#common/events/subjects.js";
import type { EventLog } from "#common/events/types.js";
import type { EventHandlers, EventSubscriber, EventSubscription } from "./transport.js";

/** Settings of a {@link NatsEventSubscriber}. */
export interface NatsEventSubscriberOptions {
  connection: NatsConnection;
  /** The `--namespace` flag; part of every subject. */
  namespace: string;
  log: EventLog;
  /** Drain the connection on close (default true); false when the connection is shared. */
  ownsConnection?: boolean;
}

interface Entry {
  handlers: EventHandlers;
  subs: Subscription[];
}

/**
 * Subscribes to the kv-events and load subjects of each model and decodes their protobuf
 * payloads. After every reconnect it calls `onReconnect()` of every live subscription:
 * core NATS does not replay what was published while this client was away.
 */
export class NatsEventSubscriber implements EventSubscriber {
  private readonly entries = new Set<Entry>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: NatsEventSubscriberOptions) {
    void this.watchStatus();
  }

  /** See {@link EventSubscriber.subscribe}. */
  subscribe(model: string, handlers: EventHandlers): EventSubscription {
    const { connection, namespace } = this.options;
    const entry: Entry = { handlers, subs: [] };
    entry.subs.push(
      connection.subscribe(kvEventsSubject(namespace, model), {
        callback: (err, msg) => this.deliver(err, msg, (data) => handlers.onBatch(KvEventBatch.decode(data))),
      }),
      connection.subscribe(loadSubject(namespace, model), {
        callback: (err, msg) => this.deliver(err, msg, (data) => handlers.onLoad(WorkerLoad.decode(data))),
      }),
    );
    this.entries.add(entry);
    return {
      unsubscribe: () => {
        if (!this.entries.delete(entry)) return;
        for (const sub of entry.subs) sub.unsubscribe();
      },
    };
  }

  /** Drains every subscription (already received messages are delivered), then the connection if owned. */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    const { connection } = this.options;
    const subs = [...this.entries].flatMap((entry) => entry.subs);
    this.entries.clear();
    if (connection.isClosed()) return;
    if (this.options.ownsConnection ?? true) {
      await connection.drain();
    } else {
      await Promise.all(subs.map((sub) => sub.drain()));
    }
  }

  private deliver(err: Error | null, msg: Msg, handle: (data: Uint8Array) => void): void {
    if (err) {
      this.options.log.warn({ err: err.message }, "nats subscription error");
      return;
    }
    try {
      handle(msg.data);
    } catch (e) {
      // A malformed payload or a throwing handler must not end the subscription.
      this.options.log.warn({ subject: msg.subject, err: String(e) }, "kv event message dropped");
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.options.connection.status()) {
      if (status.type !== "reconnect") continue;
      for (const entry of [...this.entries]) {
        try {
          entry.handlers.onReconnect();
        } catch (e) {
          this.options.log.warn({ err: String(e) }, "onReconnect handler threw");
        }
      }
    }
  }
}
