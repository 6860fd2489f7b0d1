/**
 * Reading a gRPC server stream without resetting it. A client that cancels a call after its
 * last message, before the trailers, sends RST_STREAM; nghttp2's rapid-reset guard
 * (CVE-2023-44487: a burst of 1000, then ~33/s) answers a peer that keeps doing so with
 * GOAWAY (INTERNAL_ERROR), which fails every call on the shared connection. So a call is
 * cancelled only when its consumer leaves before the last message; one whose last message
 * was read is drained to its status instead.
 */
import type { ClientReadableStream } from "@grpc/grpc-js";

/** How long a call whose last message was read may take to send its status before it is cancelled. */
export const DRAIN_TIMEOUT_MS = 10_000;

/** Options of {@link readCallStream}. */
export interface ReadCallStreamOptions<T> {
  /** True for the message after which the server sends nothing but its status (e.g. a finish reason). */
  isLast?: (message: T) => boolean;
  /** See {@link DRAIN_TIMEOUT_MS}. */
  drainTimeoutMs?: number;
  /**
   * Joins two consecutive messages into one, or says they stay apart (undefined); may reuse
   * `earlier`. With it, messages that already arrived while the consumer was busy (a consumer
   * slower than its producer) are read at once and yielded as one: one message per hop instead
   * of one per token, and nothing waits for a message that has not arrived.
   */
  coalesce?: (earlier: T, later: T) => T | undefined;
}

/**
 * The call's messages; its error status is thrown by the iteration. A consumer that leaves
 * early (break, return, throw) cancels the call, unless it has read the last message: then
 * the rest of the call (its status) is read in the background.
 */
export async function* readCallStream<T>(call: ClientReadableStream<T>, options: ReadCallStreamOptions<T> = {}): AsyncGenerator<T> {
  // Our own cancel() ends the call with an error event that no iterator may be listening to
  // any more: without a listener of its own it would be thrown as an uncaught 'error'.
  call.on("error", () => undefined);
  // A manual iterator: for-await would destroy the stream on an early exit, before we decide.
  const messages = (call as AsyncIterable<T>)[Symbol.asyncIterator]();
  let settled = false;
  let sawLast = false;
  // A message read ahead that could not join the one before it.
  let ahead: { value: T } | undefined;
  try {
    for (;;) {
      let value: T;
      if (ahead !== undefined) {
        value = ahead.value;
        ahead = undefined;
      } else {
        const next = await messages.next().catch((err: unknown) => {
          settled = true;
          throw err;
        });
        if (next.done) {
          settled = true;
          return;
        }
        value = next.value;
      }
      if (options.coalesce !== undefined) {
        const ready = coalesceReady(call, value, options);
        value = ready.joined;
        ahead = ready.rest;
      }
      if (options.isLast?.(value)) sawLast = true;
      yield value;
    }
  } finally {
    if (!settled) {
      if (sawLast) drainInBackground(call, messages, options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS);
      else {
        call.cancel();
        void messages.return?.().catch(() => undefined);
      }
    }
  }
}

/** Reads the call to its status; a server that never sends one is cancelled after `timeoutMs`. */
function drainInBackground<T>(call: ClientReadableStream<T>, messages: AsyncIterator<T>, timeoutMs: number): void {
  const timer = setTimeout(() => call.cancel(), timeoutMs);
  timer.unref();
  void (async () => {
    try {
      while (!(await messages.next()).done);
    } catch {
      // The status is all that was left to read: an error here concerns nobody any more.
    } finally {
      clearTimeout(timer);
    }
  })();
}

/**
 * `first` joined with the messages already buffered behind it (read synchronously: none is
 * waited for), up to the last message or the first one that does not join (returned as `rest`).
 */
function coalesceReady<T>(call: ClientReadableStream<T>, first: T, options: ReadCallStreamOptions<T>): { joined: T; rest?: { value: T } } {
  let joined = first;
  while (call.readableLength > 0 && !options.isLast?.(joined)) {
    const later = call.read() as T | null;
    if (later === null) break;
    const both = options.coalesce!(joined, later);
    if (both === undefined) return { joined, rest: { value: later } };
    joined = both;
  }
  return { joined };
}
