/**
 * Router.Generate for one request over common's replica pool and pre-first-token retry: a
 * router replica answering UNAVAILABLE before the first message is skipped for the next one.
 * Leaving the loop before the finish reason (a stop string) or aborting `signal` (the client
 * went away) cancels the router call, which cancels the worker's sequence; leaving after it
 * lets the call end with its status (no RST_STREAM: see common's call-stream.ts).
 */
import type { ClientReadableStream, Deadline } from "@grpc/grpc-js";
import { coalesceGenerate } from "#common/coalesce-generate.js";
import type { ReplicaPool } from "#common/replica-pool.js";
import { withRequestId } from "#common/request-id.js";
import { streamWithRetry } from "#common/stream-with-retry.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import type { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";

/** The router replicas (discovery service "router"). */
export type RouterPool = ReplicaPool<RouterClient>;

/** Options of one upstream generation. */
export interface RouterStreamOptions {
  requestId: string;
  deadline?: Deadline;
  signal: AbortSignal;
  /** Told about each further replica tried after an UNAVAILABLE (for logs). */
  onRetry?: (instanceId: string) => void;
}

/**
 * The messages of `request`'s generation through some router replica (errors typed). No
 * generator of its own: one more async layer per streamed token bought nothing.
 */
export function routerGenerate(pool: RouterPool, request: GenerateRequest, options: RouterStreamOptions): AsyncGenerator<GenerateResponse> {
  let opened = 0;
  return streamWithRetry({
    pool,
    signal: options.signal,
    noneLeft: "no router replica is registered in discovery",
    isLast: (m) => m.finishReason !== undefined,
    // Tokens that piled up while the output processor was busy go through it as one message.
    coalesce: coalesceGenerate,
    open: (replica): ClientReadableStream<GenerateResponse> => {
      if (opened++ > 0) options.onRetry?.(replica.instance.instanceId);
      return replica.client.generate(request, withRequestId(options.requestId), { deadline: options.deadline });
    },
  });
}
