/**
 * Opens a server stream on one replica after another until one delivers its first message:
 * UNAVAILABLE before the first message means "that replica cannot take it" (draining, gone),
 * so the next replica is tried; after the first message, and for any other status, the error
 * is the caller's. The result is an async iterable; cancelling `signal` cancels the call.
 */
import type { Client, ClientReadableStream } from "@grpc/grpc-js";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { NoWorkerError } from "./errors.js";
import { fromGrpcError, isServiceError } from "./grpc-errors.js";
import type { Replica, ReplicaPool } from "./replica-pool.js";

/** Options of {@link streamWithRetry}. */
export interface StreamWithRetryOptions<C extends Client, T> {
  pool: ReplicaPool<C>;
  open: (replica: Replica<C>) => ClientReadableStream<T>;
  signal?: AbortSignal;
  /** Message of the UNAVAILABLE error when no replica is left. */
  noneLeft: string;
}

/** Messages of the first replica that answers. Errors are typed (fromGrpcError). */
export async function* streamWithRetry<C extends Client, T>(options: StreamWithRetryOptions<C, T>): AsyncGenerator<T> {
  const tried = new Set<string>();
  let lastUnavailable: Error | undefined;
  for (;;) {
    const replica = options.pool.pick(tried);
    // Every replica refused: its own reason (e.g. "no worker for model X") says more than ours.
    if (replica === undefined) throw lastUnavailable ?? new NoWorkerError(options.noneLeft);
    tried.add(replica.instance.instanceId);
    const call = options.open(replica);
    const cancel = (): void => call.cancel();
    options.signal?.addEventListener("abort", cancel, { once: true });
    let delivered = false;
    try {
      for await (const message of call as AsyncIterable<T>) {
        delivered = true;
        yield message;
      }
      return;
    } catch (err) {
      if (!delivered && isServiceError(err) && err.code === GrpcStatus.UNAVAILABLE && !options.signal?.aborted) {
        lastUnavailable = fromGrpcError(err);
        continue;
      }
      throw isServiceError(err) ? fromGrpcError(err) : err;
    } finally {
      options.signal?.removeEventListener("abort", cancel);
      // Leaving early (break, a thrown consumer) must not leave the upstream call running.
      call.cancel();
    }
  }
}
