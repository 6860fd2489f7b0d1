/**
 * Opens a server stream on one replica after another until one delivers its first message:
 * UNAVAILABLE before the first message means "that replica cannot take it" (draining, gone),
 * so the next replica is tried; a broken shared connection (GOAWAY, "Session closed") before
 * the first message is retried on a fresh connection (the round-robin may pick the same
 * replica again). After the first message, and for any other status, the error is the
 * caller's. The result is an async iterable; aborting `signal` cancels the call, and so does
 * leaving the loop before the last message (see readCallStream): a call whose last message
 * was read is drained to its status, never reset.
 */
import type { Client, ClientReadableStream } from "@grpc/grpc-js";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { readCallStream } from "./call-stream.js";
import { isConnectionFailure } from "./connection-failure.js";
import { CancelledError, NoWorkerError } from "./errors.js";
import { fromGrpcError, isServiceError } from "./grpc-errors.js";
import type { Replica, ReplicaPool } from "./replica-pool.js";

/** Retries on a fresh connection, per call, after the shared one broke before the first message. */
export const CONNECTION_RETRIES = 3;

/** Options of {@link streamWithRetry}. */
export interface StreamWithRetryOptions<C extends Client, T> {
  pool: ReplicaPool<C>;
  open: (replica: Replica<C>) => ClientReadableStream<T>;
  signal?: AbortSignal;
  /** Message of the UNAVAILABLE error when no replica is left. */
  noneLeft: string;
  /** True for the stream's last message (after it only the status follows). */
  isLast?: (message: T) => boolean;
  /** Joins messages already waiting into one (see readCallStream). */
  coalesce?: (earlier: T, later: T) => T | undefined;
}

/**
 * Messages of the first replica that answers, once the pool has its first discovery answer.
 * Errors are typed (fromGrpcError); a signal already aborted opens no call (CancelledError).
 */
export async function* streamWithRetry<C extends Client, T>(options: StreamWithRetryOptions<C, T>): AsyncGenerator<T> {
  await options.pool.whenReady();
  // An abort listener added after the fact never fires: a caller already gone gets no call.
  if (options.signal?.aborted) throw new CancelledError("the caller cancelled the request");
  const tried = new Set<string>();
  let lastUnavailable: Error | undefined;
  let connectionRetries = 0;
  for (;;) {
    const replica = options.pool.pick(tried);
    // Every replica refused: its own reason (e.g. "no worker for model X") says more than ours.
    if (replica === undefined) throw lastUnavailable ?? new NoWorkerError(options.noneLeft);
    const call = options.open(replica);
    const cancel = (): void => call.cancel();
    options.signal?.addEventListener("abort", cancel, { once: true });
    let delivered = false;
    try {
      for await (const message of readCallStream(call, { isLast: options.isLast, coalesce: options.coalesce })) {
        delivered = true;
        yield message;
      }
      return;
    } catch (err) {
      if (!delivered && !options.signal?.aborted && isServiceError(err)) {
        if (err.code === GrpcStatus.UNAVAILABLE) {
          tried.add(replica.instance.instanceId);
          lastUnavailable = fromGrpcError(err);
          continue;
        }
        if (isConnectionFailure(err) && connectionRetries++ < CONNECTION_RETRIES) continue;
      }
      throw isServiceError(err) ? fromGrpcError(err) : err;
    } finally {
      options.signal?.removeEventListener("abort", cancel);
    }
  }
}
