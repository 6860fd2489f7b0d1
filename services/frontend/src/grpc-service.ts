/**
 * The gRPC Frontend API: the same pipeline and errors as the REST gateway, for callers that
 * prefer gRPC (through envoy's gRPC entry, or grpcurl / buf curl).
 */
import { randomUUID } from "node:crypto";
import type { Metadata, ServerWritableStream } from "@grpc/grpc-js";
import { FrontendService } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { CompletionChunk, CompletionOptions, FrontendServer } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { GrpcServiceBinding } from "#common/grpc-server.js";
import { toGrpcStatus } from "#common/grpc-errors.js";
import type { GrpcStatus } from "#common/grpc-errors.js";
import { requestIdOf } from "#common/request-id.js";
import type { ApiKeyGuard } from "./http/auth.js";
import type { ModelCatalog } from "./models.js";
import { finishReasonText } from "./openai/responses.js";
import type { Pipeline } from "./pipeline.js";

/** The request's knobs in the preprocessor's terms. */
function fromOptions(o: CompletionOptions | undefined): Pick<PreprocessRequest, "sampling" | "stop" | "stopStrings" | "includeStopStrInOutput"> {
  return {
    sampling: {
      temperature: o?.temperature, topP: o?.topP, topK: o?.topK, seed: o?.seed,
      presencePenalty: o?.presencePenalty, frequencyPenalty: o?.frequencyPenalty, repetitionPenalty: o?.repetitionPenalty,
      topLogprobs: o?.logprobs ? (o.topLogprobs ?? 0) : undefined,
    },
    stop: { maxTokens: o?.maxTokens, minTokens: o?.minTokens, stopTokenIds: [], ignoreEos: o?.ignoreEos ?? false },
    stopStrings: o?.stop ?? [],
    includeStopStrInOutput: false,
  };
}

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
export function createFrontendService(pipeline: Pipeline, catalog: ModelCatalog, guard: ApiKeyGuard): GrpcServiceBinding {
  const implementation: FrontendServer = {
    chatCompletion: (call) => {
      const refused = denied(guard, call);
      if (refused) return void call.emit("error", refused);
      const requestId = requestIdOf(call);
      const { model, messages, options, toolsJson, chatTemplateKwargsJson } = call.request;
      const request: PreprocessRequest = { requestId, model, prompt: { $case: "chat", chat: { messages, toolsJson, chatTemplateKwargsJson } }, ...fromOptions(options) };
      return relay(pipeline, request, `chatcmpl-${randomUUID().replace(/-/g, "")}`, call);
    },
    completion: (call) => {
      const refused = denied(guard, call);
      if (refused) return void call.emit("error", refused);
      const requestId = requestIdOf(call);
      const { model, prompt, options } = call.request;
      const request: PreprocessRequest = { requestId, model, prompt, ...fromOptions(options) };
      return relay(pipeline, request, `cmpl-${randomUUID().replace(/-/g, "")}`, call);
    },
    tokenize: (call, callback) => {
      const refused = denied(guard, call);
      if (refused) return callback(refused);
      pipeline.tokenize(call.request, requestIdOf(call)).then((r) => callback(null, r), (err: unknown) => callback(toGrpcStatus(err)));
    },
    detokenize: (call, callback) => {
      const refused = denied(guard, call);
      if (refused) return callback(refused);
      pipeline.detokenize(call.request, requestIdOf(call)).then((r) => callback(null, r), (err: unknown) => callback(toGrpcStatus(err)));
    },
    listModels: (call, callback) => {
      const refused = denied(guard, call);
      if (refused) return callback(refused);
      return callback(null, { models: catalog.list().map((m) => ({ id: m.id, instances: m.instances, contextLength: m.contextLength })) });
    },
  };
  return { definition: FrontendService, implementation };
}
