/**
 * The one way kvmesh serves a server-streaming RPC: a producer writes through a backpressured
 * `write` (it waits for 'drain' when grpc-js's buffer is full), is told through `signal` when
 * the client cancels, and ends the call by returning (OK) or throwing (the mapped status from
 * grpc-errors, with its class and param trailers). Nothing is sent to a client that went away.
 */
import type { ServerWritableStream, StatusObject } from "@grpc/grpc-js";
import { whenDrained } from "./backpressure.js";
import { InternalError, KvmeshError } from "./errors.js";
import { toGrpcStatus } from "./grpc-errors.js";
import type { Logger } from "./logger.js";

/** The answer of a write the transport took at once: one shared promise, not one per message. */
const WRITTEN: Promise<void> = Promise.resolve();

/** What a producer gets. */
export interface StreamSink<T> {
  /** Aborted when the client cancels (or the connection is lost). */
  readonly signal: AbortSignal;
  /** Sends one message; resolves when the transport can take more (at once after a cancel). */
  write(message: T): Promise<void>;
}

/** Ends a server stream with the status of `err` (the mapping in grpc-errors). */
export function failStream(call: { emit(event: "error", status: Partial<StatusObject>): boolean }, err: unknown): void {
  call.emit("error", toGrpcStatus(err));
}

/**
 * Runs `produce` for `call` and ends the call: `end()` when it resolves, the error's status
 * when it throws; a cancelled call gets neither. The returned promise never rejects.
 */
export async function serveStream<Q, T>(call: ServerWritableStream<Q, T>, log: Logger, produce: (sink: StreamSink<T>) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const { signal } = controller;
  const onCancelled = (): void => controller.abort();
  call.once("cancelled", onCancelled);
  const sink: StreamSink<T> = {
    signal,
    write: (message) => {
      if (signal.aborted) return WRITTEN;
      return call.write(message) ? WRITTEN : whenDrained(call, signal);
    },
  };
  try {
    await produce(sink);
    if (!signal.aborted) call.end();
  } catch (err) {
    if (signal.aborted) {
      log.debug({ err: String(err) }, "client cancelled");
      return;
    }
    // A caller's mistake (bad input, unknown model, busy) is not this server's failure.
    if (err instanceof KvmeshError && !(err instanceof InternalError)) log.debug({ err: err.message, code: err.code }, "request refused");
    else log.error({ err }, "stream failed");
    failStream(call, err);
  } finally {
    // grpc-js emits 'cancelled' after sending the status of EVERY call, not only cancelled
    // ones: aborting then built a DOMException and ran abort listeners per request for nothing
    // (~1% of the router's CPU in the short-request profile).
    call.off("cancelled", onCancelled);
  }
}
