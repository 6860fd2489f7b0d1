/**
 * Reading a gRPC server stream without resetting it. A client that cancels a call after its
 * last message, before the trailers, sends RST_STREAM; nghttp2's rapid-reset guard
 * (CVE-2023-44487: a burst of 1000, then ~33/s) answers a peer that keeps doing so with
 * GOAWAY (INTERNAL_ERROR), which fails every call on the shared connection. So a call is
 * cancelled only when its consumer leaves before the last message; one whose last message
 * was read is drained to its status instead.
 *
 * The call is read in flowing mode ('data' events into a small queue of our own), not through
 * the Readable's async iterator: that iterator costs a read(), a 'readable' round and a promise
 * per message, measurable per streamed token on every hop (issue 17). Backpressure stays: the
 * call is paused while {@link HIGH_WATER} messages wait unread, so grpc-js stops reading and
 * HTTP/2 flow control holds the producer.
 */
import type { ClientReadableStream } from "@grpc/grpc-js";

/** How long a call whose last message was read may take to send its status before it is cancelled. */
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Messages received but not yet taken by the consumer (joined ones counted each) at which the
 * call is paused: the default objectMode highWaterMark of the Readable it replaces.
 */
export const HIGH_WATER = 16;

/** Options of {@link readCallStream}. */
export interface ReadCallStreamOptions<T> {
  /** True for the message after which the server sends nothing but its status (e.g. a finish reason). */
  isLast?: (message: T) => boolean;
  /** See {@link DRAIN_TIMEOUT_MS}. */
  drainTimeoutMs?: number;
  /**
   * Joins two consecutive messages into one, or says they stay apart (undefined); may reuse
   * `earlier`. With it, messages that already arrived while the consumer was busy (a consumer
   * slower than its producer) are yielded as one: one message per hop instead of one per
   * token, and nothing waits for a message that has not arrived.
   */
  coalesce?: (earlier: T, later: T) => T | undefined;
}

/** What arrived and was not taken yet, and how the call ended. */
class Inbox<T> {
  readonly queue: T[] = [];
  /** Messages received since the consumer last took (joined ones counted each). */
  unread = 0;
  ended = false;
  failure: { err: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: ReadCallStreamOptions<T>) {}

  add(message: T): void {
    this.unread++;
    const { coalesce, isLast } = this.options;
    const n = this.queue.length;
    const joined = n > 0 && coalesce !== undefined && !isLast?.(this.queue[n - 1]) ? coalesce(this.queue[n - 1], message) : undefined;
    if (joined === undefined) this.queue.push(message);
    else this.queue[n - 1] = joined;
    this.notify();
  }

  end(failure?: { err: unknown }): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.notify();
  }

  /** Resolves when a message or the end arrives (at once when one is there). */
  waitForNext(): Promise<void> | undefined {
    if (this.queue.length > 0 || this.ended) return undefined;
    return new Promise((resolve) => (this.wake = resolve));
  }

  /**
   * With `coalesce`, the consumer is woken after this turn of the event loop's I/O callbacks
   * (setImmediate), not at once: node's HTTP/2 hands each DATA frame of a socket read to its own
   * callback and runs the microtasks after each, so a woken-at-once consumer took every message
   * alone even when a read held many of the same stream. Woken after the poll phase, it takes
   * what that read (and the rest of the turn) brought as one message. bench:mesh's 8-stream row
   * three times (98,304 tokens): the router took the worker's 98,304 messages as 49,851 before,
   * 9,795 after, and the frontend wrote 35,103 SSE events before, 3,029 after.
   * Without `coalesce` nothing could join, and the wake stays immediate.
   */
  private notify(): void {
    const wake = this.wake;
    if (wake === undefined) return;
    this.wake = undefined;
    if (this.options.coalesce === undefined) wake();
    else setImmediate(wake);
  }
}

/**
 * The call's messages; its error status is thrown by the iteration. A consumer that leaves
 * early (break, return, throw) cancels the call, unless it has read the last message: then
 * the rest of the call (its status) is read in the background.
 */
export async function* readCallStream<T>(call: ClientReadableStream<T>, options: ReadCallStreamOptions<T> = {}): AsyncGenerator<T> {
  const inbox = new Inbox<T>(options);
  const onData = (message: T): void => {
    inbox.add(message);
    if (inbox.unread >= HIGH_WATER) call.pause();
  };
  // Our own cancel() also ends the call with an error: this listener keeps it from being thrown
  // as an uncaught 'error' once nobody reads any more.
  const onError = (err: unknown): void => inbox.end({ err });
  const onEnd = (): void => inbox.end();
  call.on("data", onData);
  call.on("error", onError);
  call.once("end", onEnd);
  // A stream destroyed without 'end' or 'error' must not leave the consumer waiting forever.
  call.once("close", onEnd);
  let sawLast = false;
  try {
    for (;;) {
      const waiting = inbox.waitForNext();
      if (waiting !== undefined) await waiting;
      const value = inbox.queue.shift();
      if (value === undefined) {
        if (inbox.failure !== undefined) throw inbox.failure.err;
        return;
      }
      if (inbox.queue.length === 0) {
        inbox.unread = 0;
        if (call.isPaused()) call.resume();
      }
      if (options.isLast?.(value)) sawLast = true;
      yield value;
    }
  } finally {
    call.off("data", onData);
    if (!inbox.ended) {
      // Flowing on without a reader: what still comes (the status) is read and dropped.
      if (call.isPaused()) call.resume();
      if (sawLast) drainInBackground(call, options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS);
      else call.cancel();
    }
  }
}

/** Lets the call end with its status; a server that never sends one is cancelled after `timeoutMs`. */
function drainInBackground<T>(call: ClientReadableStream<T>, timeoutMs: number): void {
  const timer = setTimeout(() => call.cancel(), timeoutMs);
  timer.unref();
  const done = (): void => clearTimeout(timer);
  call.once("end", done);
  call.once("close", done);
  call.once("error", done);
}
