/**
 * The Worker gRPC service: adapts one EngineCore (and its event bridge) to the generated
 * WorkerServer interface. No engine logic lives here: requests are translated, streamed and
 * cancelled; errors go through the one mapping in common.
 */
import type { ServerWritableStream, sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import type { GenerateRequest, GenerateResponse, ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import { WorkerService } from "#contracts/gen/kvmesh/v1/worker.js";
import type { WorkerServer } from "#contracts/gen/kvmesh/v1/worker.js";
import { createStreamKvEventsHandler } from "#common/events/kv-event-stream-handler.js";
import { ModelNotFoundError } from "#common/errors.js";
import type { GrpcServiceBinding } from "#common/grpc-server.js";
import { toGrpcStatus } from "#common/grpc-errors.js";
import type { Logger } from "#common/logger.js";
import { requestIdOf } from "#common/request-id.js";
import { serveStream } from "#common/server-stream.js";
import type { EngineCore } from "./engine/engine-core.js";
import type { EngineOutput } from "./engine/engine-types.js";
import { engineParamsFromProto } from "./engine/params-from-proto.js";
import { streamRequest } from "./engine/request-stream.js";
import type { KvEventBridge, WorkerIdentity } from "./events/kv-event-bridge.js";

/** What the service serves. */
export interface WorkerServiceParts {
  readonly engine: EngineCore;
  readonly bridge: KvEventBridge;
  readonly identity: WorkerIdentity;
  readonly card: ModelCard;
  readonly log: Logger;
  readonly loadIntervalMs: number;
}

/** One engine output as a wire message. */
export function toGenerateResponse(output: EngineOutput, workerId: string): GenerateResponse {
  return {
    tokenIds: output.tokenIds,
    index: output.index,
    logprobs: output.logprobs ?? [],
    ...(output.finishReason === undefined ? {} : { finishReason: output.finishReason }),
    ...(output.usage === undefined ? {} : { usage: output.usage }),
    ...(output.cachedTokens === undefined ? {} : { cachedTokens: output.cachedTokens }),
    workerId,
    migrations: 0,
  };
}

/** The Worker service binding for startServiceInstance. */
export function createWorkerService(parts: WorkerServiceParts): GrpcServiceBinding {
  const { engine, bridge, identity, card } = parts;
  const unary = <Q, R>(answer: (request: Q) => R) => (call: ServerUnaryCall<Q, R>, callback: sendUnaryData<R>): void => {
    try {
      return callback(null, answer(call.request));
    } catch (err) {
      return callback(toGrpcStatus(err));
    }
  };
  const implementation: WorkerServer = {
    generate: (call) => generate(parts, call),
    getModelCard: unary(() => ({ card, workerId: identity.workerId })),
    getLoad: unary(() => ({ load: bridge.load() })),
    streamKvEvents: createStreamKvEventsHandler({
      ring: bridge.ring,
      workerId: identity.workerId,
      epoch: identity.epoch,
      model: identity.model,
      loadProvider: () => {
        const { workerId: _w, epoch: _e, model: _m, lastEventId: _l, ...counts } = bridge.load();
        return counts;
      },
      loadIntervalMs: parts.loadIntervalMs,
    }),
    dumpKvState: unary(() => {
      const { events, lastEventId } = bridge.dump();
      return { events, lastEventId, epoch: identity.epoch, workerId: identity.workerId, model: identity.model };
    }),
    clearKvCache: unary(() => {
      const before = engine.load().blocksCachedFree;
      engine.clearKvCache();
      return { clearedBlocks: before - engine.load().blocksCachedFree };
    }),
  };
  return { definition: WorkerService, implementation };
}

/** Streams one request; a client cancel aborts it in the engine at once (its blocks are freed). */
function generate(parts: WorkerServiceParts, call: ServerWritableStream<GenerateRequest, GenerateResponse>): Promise<void> {
  const { engine, identity } = parts;
  const request = { ...call.request, requestId: call.request.requestId || requestIdOf(call) };
  const log = parts.log.child({ request_id: request.requestId });
  return serveStream(call, log, async ({ signal, write }) => {
    if (request.model !== "" && request.model !== identity.model) {
      throw new ModelNotFoundError(`this worker serves "${identity.model}", not "${request.model}"`, { param: "model" });
    }
    const outputs = streamRequest(engine, engineParamsFromProto(request), signal);
    log.debug({ prompt_tokens: request.tokenIds.length }, "generate");
    for await (const output of outputs) {
      if (signal.aborted) break;
      await write(toGenerateResponse(output, identity.workerId));
    }
  });
}
