/**
 * The Preprocessor gRPC service: adapts Generate (server stream), Tokenize and Detokenize (unary) to the
 * pipeline. Typed errors thrown below become their gRPC status in common's one mapping.
 */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from "@grpc/grpc-js";
import { InvalidArgumentError } from "#common/errors.js";
import type { GrpcServiceBinding } from "#common/grpc-server.js";
import { toGrpcStatus } from "#common/grpc-errors.js";
import type { Logger } from "#common/logger.js";
import { requestIdOf } from "#common/request-id.js";
import { serveStream } from "#common/server-stream.js";
import { PreprocessorService } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type {
  DetokenizeRequest, DetokenizeResponse, PreprocessorServer, PreprocessRequest, PreprocessResponse, TokenizeRequest, TokenizeResponse,
} from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { runGenerate } from "./generate-pipeline.js";
import type { PipelineDeps } from "./generate-pipeline.js";
import type { PreprocessorMetrics } from "./metrics.js";
import { encodePrompt } from "./request/encode-prompt.js";
import { detokenizeIds } from "./request/prompt-tokens.js";

/** Dependencies of the service. */
export interface PreprocessorServiceDeps extends PipelineDeps {
  log: Logger;
  metrics?: PreprocessorMetrics;
}

function requireModel(model: string): void {
  if (model === "") throw new InvalidArgumentError("model is required", { param: "model" });
}

/** The service binding for startServiceInstance. */
export function preprocessorService(deps: PreprocessorServiceDeps): GrpcServiceBinding {
  const implementation: PreprocessorServer = {
    generate: (call: ServerWritableStream<PreprocessRequest, PreprocessResponse>) => {
      const requestId = call.request.requestId || requestIdOf(call);
      const log = deps.log.child({ request_id: requestId });
      return serveStream(call, log, async ({ signal, write }) => {
        try {
          requireModel(call.request.model);
          const deadline = call.getDeadline();
          const last = await runGenerate(deps, { request: call.request, requestId, log, deadline: deadline === Infinity ? undefined : deadline, signal, write });
          deps.metrics?.finished(last === undefined ? "cancelled" : last.finishReason, last?.stopString !== undefined);
        } catch (err) {
          deps.metrics?.failed(toGrpcStatus(err).code);
          throw err;
        }
      });
    },
    tokenize: (call: ServerUnaryCall<TokenizeRequest, TokenizeResponse>, callback: sendUnaryData<TokenizeResponse>) => {
      const run = async (): Promise<TokenizeResponse> => {
        requireModel(call.request.model);
        const assets = await deps.catalog.get(call.request.model);
        const tokens = await encodePrompt(call.request.prompt, assets, undefined, call.request.addSpecialTokens);
        return { tokenIds: tokens.tokenIds, prompt: tokens.rendered ?? "", contextLength: assets.contextLength };
      };
      run().then(
        (response) => callback(null, response),
        (err: unknown) => callback(toGrpcStatus(err)),
      );
    },
    detokenize: (call: ServerUnaryCall<DetokenizeRequest, DetokenizeResponse>, callback: sendUnaryData<DetokenizeResponse>) => {
      const run = async (): Promise<DetokenizeResponse> => {
        requireModel(call.request.model);
        const assets = await deps.catalog.get(call.request.model);
        return { text: detokenizeIds(call.request.tokenIds, assets.tokenizer) };
      };
      run().then(
        (response) => callback(null, response),
        (err: unknown) => callback(toGrpcStatus(err)),
      );
    },
  };
  return { definition: PreprocessorService, implementation };
}
