/**
 * The gRPC Frontend API: the same pipeline and errors as the REST gateway, for callers that
 * prefer gRPC (through envoy's gRPC entry, or grpcurl / buf curl). Streams are served the one
 * way (common's serveStream: backpressure, cancellation, the error mapping).
 */
import { randomUUID } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";
import type { ServerWritableStream } from "@grpc/grpc-js";
import { FrontendService } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { CompletionChunk, FrontendServer } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { GrpcServiceBinding } from "#common/grpc-server.js";
import type { Logger } from "#common/logger.js";
import { clientRequestId, newRequestId, REQUEST_ID_KEY } from "#common/request-id.js";
import { serveStream } from "#common/server-stream.js";
import type { ModelCatalog } from "./models.js";
import { chatBodyOf, completionBodyOf } from "./openai/grpc-bodies.js";
import { finishReasonText } from "./openai/responses.js";
import { parseChatRequest, parseCompletionRequest } from "./openai/schemas.js";
import type { Pipeline } from "./pipeline.js";

/** A completion call and how to turn it into the preprocessor's request (given the mesh's id). */
type CompletionCall = ServerWritableStream<unknown, CompletionChunk> & { metadata: Metadata };

/**
 * Streams `toRequest(meshId)` through the pipeline onto `call`. The mesh's own id keys the
 * request; the client's `x-request-id` (validated) is logged and echoed in the response metadata.
 */
function relay(pipeline: Pipeline, log: Logger, call: CompletionCall, idPrefix: string, toRequest: (requestId: string) => PreprocessRequest): Promise<void> {
  const requestId = newRequestId();
  const id = `${idPrefix}-${randomUUID().replace(/-/g, "")}`;
  return serveStream(call, log.child({ request_id: requestId }), async ({ signal, write }) => {
    const clientId = clientRequestId(call.metadata.get(REQUEST_ID_KEY)[0]);
    const echo = new Metadata();
    echo.set(REQUEST_ID_KEY, clientId ?? requestId);
    call.sendMetadata(echo);
    for await (const m of pipeline.run(toRequest(requestId), signal)) {
      const finish = finishReasonText(m.finishReason);
      await write({ id, text: m.text, logprobs: m.logprobs, ...(finish ? { finishReason: finish } : {}), ...(m.usage ? { usage: m.usage } : {}), workerId: m.workerId, migrations: m.migrations });
    }
  });
}

/** The Frontend service binding. */
export function createFrontendService(pipeline: Pipeline, catalog: ModelCatalog, log: Logger): GrpcServiceBinding {
  const implementation: FrontendServer = {
    // Parsed inside the stream so a rejection leaves through serveStream's error mapping, as REST's does.
    chatCompletion: (call) => relay(pipeline, log, call, "chatcmpl", (requestId) => ({ requestId, ...parseChatRequest(chatBodyOf(call.request)).request })),
    completion: (call) => relay(pipeline, log, call, "cmpl", (requestId) => ({ requestId, ...parseCompletionRequest(completionBodyOf(call.request)).request })),
    listModels: (_call, callback) => callback(null, { models: catalog.list().map((m) => ({ id: m.id, instances: m.instances, contextLength: m.contextLength })) }),
  };
  return { definition: FrontendService, implementation };
}
