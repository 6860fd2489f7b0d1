/**
 * Router.Generate as an async iterable with the mesh's retry rule: a replica that answers
 * UNAVAILABLE before the first message is skipped for the next one; after the first message
 * errors go to the caller. Leaving the loop early (a stop string) or aborting `signal` (the
 * client went away) cancels the upstream call, which cancels the worker's sequence.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ClientReadableStream, Deadline } from "@grpc/grpc-js";
import { CancelledError, NoWorkerError } from "#common/errors.js";
import { isServiceError } from "#common/grpc-errors.js";
import { withRequestId } from "#common/request-id.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import type { RouterPool } from "./router-pool.js";

/** Options of one upstream generation. */
export interface RouterStreamOptions {
  requestId: string;
  deadline?: Deadline;
  signal: AbortSignal;
  /** Told about each replica skipped on UNAVAILABLE (for logs). */
  onRetry?: (instanceId: string, details: string) => void;
}

/** The messages of `request`'s generation through some router replica. */
export async function* routerGenerate(pool: RouterPool, request: GenerateRequest, options: RouterStreamOptions): AsyncGenerator<GenerateResponse> {
  const tried = new Set<string>();
  let lastError: unknown;
  for (;;) {
    // An abort listener added after the fact never fires: a client already gone gets no call.
    if (options.signal.aborted) throw new CancelledError("the client cancelled the request");
    const replica = await pool.pick(tried);
    if (!replica) {
      if (lastError !== undefined) throw lastError;
      throw new NoWorkerError("no router replica is registered in discovery");
    }
    tried.add(replica.instanceId);
    const call: ClientReadableStream<GenerateResponse> = replica.client.generate(request, withRequestId(options.requestId), {
      deadline: options.deadline,
    });
    // Our own cancel() ends the call with an error event nobody may be iterating any more.
    call.on("error", () => undefined);
    const cancel = (): void => call.cancel();
    options.signal.addEventListener("abort", cancel, { once: true });
    let received = false;
    try {
      for await (const message of call as AsyncIterable<GenerateResponse>) {
        received = true;
        yield message;
      }
      return;
    } catch (err) {
      if (!received && !options.signal.aborted && isServiceError(err) && err.code === GrpcStatus.UNAVAILABLE) {
        lastError = err;
        options.onRetry?.(replica.instanceId, err.details);
        continue;
      }
      throw err;
    } finally {
      options.signal.removeEventListener("abort", cancel);
      // No-op for a finished call; cancels one the caller left early.
      call.cancel();
    }
  }
}
