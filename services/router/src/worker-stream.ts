import type { GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { withRequestId } from "#common/request-id.js";
import type { OpenWorkerStream } from "./forwarder.js";
import type { WorkerClients } from "./workers/worker-clients.js";

/**
 * The forwarder's stream opener over gRPC: Worker.Generate on the worker's channel, with the
 * caller's x-request-id. A grpc-js client stream is an object-mode Readable, so it is already
 * an async iterable whose iteration throws the call's error.
 */
export function grpcStreamOpener(clients: WorkerClients): OpenWorkerStream {
  return (worker, request, requestId) => {
    const call = clients.get(worker.workerId, worker.address).generate(request, withRequestId(requestId));
    return {
      [Symbol.asyncIterator]: () => (call as AsyncIterable<GenerateResponse>)[Symbol.asyncIterator](),
      cancel: () => call.cancel(),
    };
  };
}
