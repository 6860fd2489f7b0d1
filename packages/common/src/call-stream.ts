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
}

/**
 * The call's messages; its error status is thrown by the iteration. A consumer that leaves
 * early (break, return, throw) cancels the call, unless it has read the last message: then
 * the rest of the call (its status) is read in the background.
 */
export async function* readCallStream<T>(call: ClientReadableStream<T>, options: ReadCallStreamOptions<T> = {}): AsyncGenerator<T> {
  // A manual iterator: for-await would destroy the stream on an early exit, before we decide.
  const messages = (call as AsyncIterable<T>)[Symbol.asyncIterator]();
  let settled = false;
  let sawLast = false;
  try {
    for (;;) {
      const next = await messages.next().catch((err: unknown) => {
        settled = true;
        throw err;
      });
      if (next.done) {
        settled = true;
        return;
      }
      if (options.isLast?.(next.value)) sawLast = true;
      yield next.value;
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
