import type { GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { readCallStream } from "#common/call-stream.js";
import { coalesceGenerate } from "#common/coalesce-generate.js";
import { withRequestId } from "#common/request-id.js";
import type { OpenWorkerStream } from "./forwarder.js";
import type { ClientCache } from "#common/client-cache.js";
import type { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";

/**
 * The forwarder's stream opener over gRPC: Worker.Generate on the worker's channel, with the
 * caller's x-request-id. Iteration throws the call's error; leaving it after the message with
 * the finish reason lets the call end with its status instead of resetting it (call-stream.ts).
 * Tokens that arrived while the forwarder was busy are forwarded as one message.
 */
export function grpcStreamOpener(clients: Pick<ClientCache<WorkerClient>, "get">): OpenWorkerStream {
  return (worker, request, requestId) => {
    const call = clients.get(worker.workerId, worker.address).generate(request, withRequestId(requestId));
    return {
      [Symbol.asyncIterator]: () => readCallStream(call, { isLast: (m: GenerateResponse) => m.finishReason !== undefined, coalesce: coalesceGenerate }),
      cancel: () => call.cancel(),
    };
  };
}
