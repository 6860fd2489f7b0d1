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
import { toGrpcStatus } from "#common/grpc-errors.js";
import type { GrpcStatus } from "#common/grpc-errors.js";
import type { Logger } from "#common/logger.js";
import { clientRequestId, newRequestId, REQUEST_ID_KEY } from "#common/request-id.js";
import { serveStream } from "#common/server-stream.js";
import type { ApiKeyGuard } from "./http/auth.js";
import type { ServedModels } from "./models.js";
import { chatBodyOf, completionBodyOf } from "./openai/grpc-bodies.js";
import { finishReasonText } from "./openai/responses.js";
import { parseChatRequest, parseCompletionRequest } from "./openai/schemas.js";
import { finishWithTools } from "./openai/tool-call-json.js";
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
    let sawToolCalls = false;
    for await (const m of pipeline.run(toRequest(requestId), signal)) {
      sawToolCalls ||= m.toolCalls.length > 0;
      const finish = finishWithTools(finishReasonText(m.finishReason), sawToolCalls);
      await write({
        id, text: m.text, logprobs: m.logprobs, ...(finish ? { finishReason: finish } : {}), ...(finish && m.usage ? { usage: m.usage } : {}),
        workerId: m.workerId, migrations: m.migrations, toolCalls: m.toolCalls, ...(m.reasoningText ? { reasoningText: m.reasoningText } : {}),
        // The routing record on the last chunk, with usage's delivered count (REST's `kvmesh` object).
        ...(finish && m.routing ? { routing: { ...m.routing, cachedTokens: m.usage?.cachedTokens ?? m.routing.cachedTokens } } : {}),
      });
    }
  });
}

/** The caller's `authorization` metadata checked against --api-key; the mapped status when it fails. */
function denied(guard: ApiKeyGuard, call: { metadata: Metadata }): GrpcStatus | undefined {
  try {
    guard.check(call.metadata.get("authorization")[0]?.toString());
    return undefined;
  } catch (err) {
    return toGrpcStatus(err);
  }
}

/** The Frontend service binding; every RPC asks for the API key when --api-key is set. */
export function createFrontendService(pipeline: Pipeline, catalog: ServedModels, guard: ApiKeyGuard, log: Logger): GrpcServiceBinding {
  const implementation: FrontendServer = {
    // Parsed inside the stream so a rejection leaves through serveStream's error mapping, as REST's does.
    chatCompletion: (call) => {
      const refused = denied(guard, call);
      if (refused) return void call.emit("error", refused);
      return relay(pipeline, log, call, "chatcmpl", (requestId) => ({ requestId, ...parseChatRequest(chatBodyOf(call.request)).request }));
    },
    completion: (call) => {
      const refused = denied(guard, call);
      if (refused) return void call.emit("error", refused);
      return relay(pipeline, log, call, "cmpl", (requestId) => ({ requestId, ...parseCompletionRequest(completionBodyOf(call.request)).request }));
    },
    tokenize: (call, callback) => {
      const refused = denied(guard, call);
      if (refused) return callback(refused);
      pipeline.tokenize(call.request, newRequestId()).then((r) => callback(null, r), (err: unknown) => callback(toGrpcStatus(err)));
    },
    detokenize: (call, callback) => {
      const refused = denied(guard, call);
      if (refused) return callback(refused);
      pipeline.detokenize(call.request, newRequestId()).then((r) => callback(null, r), (err: unknown) => callback(toGrpcStatus(err)));
    },
    listModels: (call, callback) => {
      const refused = denied(guard, call);
      if (refused) return callback(refused);
      return callback(null, { models: catalog.list().map((m) => ({ id: m.id, instances: m.instances, contextLength: m.contextLength })) });
    },
  };
  return { definition: FrontendService, implementation };
}
