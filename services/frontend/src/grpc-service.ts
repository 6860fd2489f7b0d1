/**
 * The gRPC Frontend API: the same pipeline and errors as the REST gateway, for callers that
 * prefer gRPC (through envoy's gRPC entry, or grpcurl / buf curl).
 */
import { randomUUID } from "node:crypto";
import type { ServerWritableStream } from "@grpc/grpc-js";
import { FrontendService } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { CompletionChunk, CompletionOptions, FrontendServer } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { GrpcServiceBinding } from "#common/grpc-server.js";
import { toGrpcStatus } from "#common/grpc-errors.js";
import { requestIdOf } from "#common/request-id.js";
import type { ModelCatalog } from "./models.js";
import { finishReasonText } from "./openai/responses.js";
import { finishWithTools } from "./openai/tool-call-json.js";
import { toolChoiceFromJson } from "./openai/tool-choice.js";
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
  let sawToolCalls = false;
  try {
    for await (const m of pipeline.run(request, controller.signal)) {
      const finish = finishReasonText(m.finishReason);
      sawToolCalls ||= m.toolCalls.length > 0;
      const reason = finishWithTools(finish, sawToolCalls);
      call.write({
        id, text: m.text, logprobs: m.logprobs, ...(reason ? { finishReason: reason } : {}), ...(m.usage ? { usage: m.usage } : {}),
        workerId: m.workerId, migrations: m.migrations, toolCalls: m.toolCalls, ...(m.reasoningText ? { reasoningText: m.reasoningText } : {}),
      });
    }
    call.end();
  } catch (err) {
    if (!controller.signal.aborted) call.emit("error", toGrpcStatus(err));
  }
}

/** The Frontend service binding. */
export function createFrontendService(pipeline: Pipeline, catalog: ModelCatalog): GrpcServiceBinding {
  const implementation: FrontendServer = {
    chatCompletion: (call) => {
      const requestId = requestIdOf(call);
      const { model, messages, options, toolsJson, chatTemplateKwargsJson, toolChoiceJson } = call.request;
      let tools;
      try {
        tools = toolChoiceFromJson(toolsJson, toolChoiceJson);
      } catch (err) {
        call.emit("error", toGrpcStatus(err));
        return;
      }
      const chat = { messages, toolsJson: tools.toolsJson, chatTemplateKwargsJson };
      const request: PreprocessRequest = { requestId, model, prompt: { $case: "chat", chat }, ...fromOptions(options), ...(tools.parseToolCalls ? { parseToolCalls: true } : {}) };
      return relay(pipeline, request, `chatcmpl-${randomUUID().replace(/-/g, "")}`, call);
    },
    completion: (call) => {
      const requestId = requestIdOf(call);
      const { model, prompt, options } = call.request;
      const request: PreprocessRequest = { requestId, model, prompt, ...fromOptions(options) };
      return relay(pipeline, request, `cmpl-${randomUUID().replace(/-/g, "")}`, call);
    },
    listModels: (_call, callback) => callback(null, { models: catalog.list().map((m) => ({ id: m.id, instances: m.instances, contextLength: m.contextLength })) }),
  };
  return { definition: FrontendService, implementation };
}
