/**
 * The gRPC Frontend API: the same pipeline and errors as the REST gateway, for callers that
 * prefer gRPC (through envoy's gRPC entry, or grpcurl / buf curl).
 */
import { randomUUID } from "node:crypto";
import type { ServerWritableStream } from "@grpc/grpc-js";
import { FrontendService } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { CompletionChunk, FrontendServer } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { GrpcServiceBinding } from "#common/grpc-server.js";
import { toGrpcStatus } from "#common/grpc-errors.js";
import { requestIdOf } from "#common/request-id.js";
import type { ModelCatalog } from "./models.js";
import { chatBodyOf, completionBodyOf } from "./openai/grpc-bodies.js";
import { finishReasonText } from "./openai/responses.js";
import { parseChatRequest, parseCompletionRequest } from "./openai/schemas.js";
import type { ParsedRequest } from "./openai/schemas.js";
import type { Pipeline } from "./pipeline.js";

async function relay(pipeline: Pipeline, request: PreprocessRequest, id: string, call: ServerWritableStream<unknown, CompletionChunk>): Promise<void> {
  const controller = new AbortController();
  call.once("cancelled", () => controller.abort());
  try {
    for await (const m of pipeline.run(request, controller.signal)) {
      const finish = finishReasonText(m.finishReason);
      call.write({ id, text: m.text, logprobs: m.logprobs, ...(finish ? { finishReason: finish } : {}), ...(m.usage ? { usage: m.usage } : {}), workerId: m.workerId, migrations: m.migrations });
    }
    call.end();
  } catch (err) {
    if (!controller.signal.aborted) call.emit("error", toGrpcStatus(err));
  }
}

/** The request through the REST door's schema; a rejection ends the call with its status (undefined then). */
function validated(call: ServerWritableStream<unknown, CompletionChunk>, parse: () => ParsedRequest): ParsedRequest | undefined {
  try {
    return parse();
  } catch (err) {
    call.emit("error", toGrpcStatus(err));
    return undefined;
  }
}

/** The Frontend service binding. */
export function createFrontendService(pipeline: Pipeline, catalog: ModelCatalog): GrpcServiceBinding {
  const implementation: FrontendServer = {
    chatCompletion: (call) => {
      const parsed = validated(call, () => parseChatRequest(chatBodyOf(call.request)));
      if (parsed) return relay(pipeline, { requestId: requestIdOf(call), ...parsed.request }, `chatcmpl-${randomUUID().replace(/-/g, "")}`, call);
    },
    completion: (call) => {
      const parsed = validated(call, () => parseCompletionRequest(completionBodyOf(call.request)));
      if (parsed) return relay(pipeline, { requestId: requestIdOf(call), ...parsed.request }, `cmpl-${randomUUID().replace(/-/g, "")}`, call);
    },
    listModels: (_call, callback) => callback(null, { models: catalog.list().map((m) => ({ id: m.id, instances: m.instances, contextLength: m.contextLength })) }),
  };
  return { definition: FrontendService, implementation };
}
