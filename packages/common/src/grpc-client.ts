/**
 * The one way kvmesh makes gRPC clients: insecure credentials (the mesh runs on loopback or a
 * private network behind envoy), keepalive so a dead peer is noticed mid-stream, and message
 * limits large enough for the internal messages that carry files or state (limits.ts).
 */
import { credentials } from "@grpc/grpc-js";
import type { ChannelOptions, Client, ChannelCredentials } from "@grpc/grpc-js";
import { INTERNAL_MAX_MESSAGE_BYTES } from "./limits.js";
import type { CallTracker } from "./reset-budget.js";

/**
 * Channel options every kvmesh client uses, each chosen (bench:mesh, bench:router):
 * - keepalive: a ping every 30 s, 10 s to answer, also between calls, so a peer that vanished
 *   mid-stream is noticed (servers permit pings without calls; grpc-server.ts).
 * - HTTP/2 flow-control window: the protocol's 64 KiB, on purpose. Messages on the request path
 *   are small (a 4,096-token prompt with its block hashes is ~16 KB, a token message < 100 B),
 *   so no call waits for a WINDOW_UPDATE (a long-context prompt waits one loopback round
 *   trip per 64 KiB beyond the first); a larger window would only let a fast producer
 *   buffer more per stream into a slow consumer (× every stream in flight).
 * - Concurrent streams: not capped (grpc.max_concurrent_streams is a server setting, left at
 *   HTTP/2's unlimited): all calls to a peer share one connection (grpc-js's global subchannel
 *   pool; callers also keep one client per replica), and a cap would queue requests behind
 *   others on it. A hop's concurrency is bounded by the door's limits, not by HTTP/2.
 * - Message limits: large enough for internal messages that carry files or state (limits.ts).
 */
export const CLIENT_OPTIONS: ChannelOptions = {
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc-node.flow_control_window": 65_535,
  "grpc.max_receive_message_length": INTERNAL_MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": INTERNAL_MAX_MESSAGE_BYTES,
};

/** A generated client constructor (ts-proto's `WorkerClient`, or grpc-js's generic ones). */
export type ClientConstructor<C extends Client> = new (address: string, credentials: ChannelCredentials, options?: Partial<ChannelOptions>) => C;

/**
 * A client of `address` (`host:port`); `close()` it when done. With a `tracker` (reset-budget.ts)
 * the client counts its calls and resets, and gets an HTTP/2 connection of its own: grpc-js
 * would otherwise share one between identical channels (its global subchannel pool), and a
 * fresh client could not move calls off a connection that has had too many resets.
 */
export function createClient<C extends Client>(Ctor: ClientConstructor<C>, address: string, options: Partial<ChannelOptions> = {}, tracker?: CallTracker): C {
  const tracked = tracker === undefined ? {} : { "grpc.use_local_subchannel_pool": 1, interceptors: [tracker.interceptor] };
  return new Ctor(address, credentials.createInsecure(), { ...CLIENT_OPTIONS, ...tracked, ...options });
}

/** A deadline `ms` from now, for a call's options. */
export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}
