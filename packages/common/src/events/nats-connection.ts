import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import type { EventLog } from "./types.js";

/** How to reach NATS. */
export interface NatsConnectOptions {
  /** `nats://host:port` (the `--nats-url` flag). */
  url: string;
  /** Connection name shown by the server (e.g. `worker-<id>`). */
  name: string;
  log: EventLog;
  /** Pause between reconnect attempts; default 250 ms. */
  reconnectTimeWaitMs?: number;
}

/**
 * Connects to NATS with unlimited reconnects: a restarted broker must never leave a worker
 * or router silently disconnected for good. Disconnects and reconnects are logged; the first
 * connect still fails loudly (a wrong `--nats-url` should stop the process at start).
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const connection = await connect({
    servers: options.url,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
    reconnectJitter: 50,
  });
  options.log.info({ url: options.url, name: options.name }, "nats connected");
  void logStatus(connection, options.log);
  return connection;
}

async function logStatus(connection: NatsConnection, log: EventLog): Promise<void> {
  for await (const status of connection.status()) {
    switch (status.type) {
      case "disconnect":
        log.warn({ server: status.server }, "nats disconnected");
        break;
      case "reconnect":
        log.info({ server: status.server }, "nats reconnected");
        break;
      case "error":
        log.warn({ err: status.error.message }, "nats error");
        break;
      default:
        log.debug({ status: status.type }, "nats status");
    }
  }
}
