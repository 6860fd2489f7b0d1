/**
 * A unary call to one replica after another: UNAVAILABLE means "that replica cannot take it"
 * (draining, gone), so the next one is tried, as streamWithRetry does for streams. Any other
 * status is the caller's, typed by fromGrpcError.
 */
import type { Client, ServiceError } from "@grpc/grpc-js";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { NoWorkerError } from "#common/errors.js";
import { fromGrpcError, isServiceError } from "#common/grpc-errors.js";
import type { ReplicaPool } from "#common/replica-pool.js";

/** Invokes one unary RPC on `client`; `done` is the generated client's callback. */
export type UnaryInvoke<C, T> = (client: C, done: (err: ServiceError | null, value?: T) => void) => void;

/** The answer of the first replica that does not refuse with UNAVAILABLE. */
export async function unaryWithRetry<C extends Client, T>(pool: ReplicaPool<C>, invoke: UnaryInvoke<C, T>, noneLeft: string): Promise<T> {
  await pool.whenReady();
  const tried = new Set<string>();
  let lastUnavailable: Error | undefined;
  for (;;) {
    const replica = pool.pick(tried);
    if (replica === undefined) throw lastUnavailable ?? new NoWorkerError(noneLeft);
    tried.add(replica.instance.instanceId);
    try {
      return await new Promise<T>((resolve, reject) => invoke(replica.client, (err, value) => (err ? reject(err) : resolve(value as T))));
    } catch (err) {
      if (isServiceError(err) && err.code === GrpcStatus.UNAVAILABLE) {
        lastUnavailable = fromGrpcError(err);
        continue;
      }
      throw isServiceError(err) ? fromGrpcError(err) : err;
    }
  }
}
