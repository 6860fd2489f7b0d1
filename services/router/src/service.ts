import type { handleUnaryCall, sendUnaryData, ServerUnaryCall, ServerWritableStream } from "@grpc/grpc-js";
import { FailedPreconditionError } from "#common/errors.js";
import { toGrpcStatus } from "#common/grpc-errors.js";
import type { Logger } from "#common/logger.js";
import { requestIdOf } from "#common/request-id.js";
import { failStream, serveStream } from "#common/server-stream.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { RouterService } from "#contracts/gen/kvmesh/v1/router.js";
import type {
  DumpIndexRequest, DumpIndexResponse, FollowReservationsRequest, ListWorkersRequest, ReservationUpdate, ListWorkersResponse, RouterServer,
} from "#contracts/gen/kvmesh/v1/router.js";
import type { GrpcServiceBinding } from "#common/grpc-server.js";
import type { Decider } from "./decider.js";
import type { Forwarder } from "./forwarder.js";
import { decodeRouteRequest } from "./route-request-decode.js";
import type { DecodedRouteRequest } from "./route-request-decode.js";
import { encodeRouteResponse } from "./route-response-encode.js";
import type { RouteAnswer } from "./route-response-encode.js";
import type { WorkerIndexDump } from "./indexer/types.js";

/** What the Router service reads besides the decider and forwarder. */
export interface RouterServiceDeps {
  decider: Decider;
  forwarder: Forwarder;
  /** ListWorkers rows (blocks indexed filled in). */
  listWorkers: (model: string) => ListWorkersResponse["workers"];
  /** The model's index per worker; throws ModelNotFoundError for a model nobody serves. */
  dumpIndex: (model: string) => WorkerIndexDump[];
  /** Router.FollowReservations; undefined: --replica-sharing off (FAILED_PRECONDITION). */
  followReservations?: (call: ServerWritableStream<FollowReservationsRequest, ReservationUpdate>) => Promise<void>;
  log: Logger;
}

/** The generated interface, with Route's request and answer as route-request-decode.ts and route-response-encode.ts take them. */
type RouterImplementation = Pick<RouterServer, "generate" | "listWorkers" | "dumpIndex" | "followReservations"> & {
  route: handleUnaryCall<DecodedRouteRequest, RouteAnswer>;
};

/** Adapts the router's parts to the generated `RouterServer` interface. */
export function createRouterService(deps: RouterServiceDeps): GrpcServiceBinding {
  const implementation: RouterImplementation = {
    generate: (call) => generate(deps, call),
    route: (call: ServerUnaryCall<DecodedRouteRequest, RouteAnswer>, callback: sendUnaryData<RouteAnswer>) => {
      try {
        const { decision } = deps.decider.plan({
          model: call.request.model, tokenIds: call.request.tokenIds, pinnedWorkerId: call.request.workerId, blockHashes: call.request.blockHashes,
        });
        return callback(null, {
          workerId: decision.workerId,
          // Rounded as they are written (route-response-encode.ts), not copied.
          workers: decision.workers,
          bestOverlapBlocks: decision.bestOverlapBlocks,
          requestBlocks: decision.requestBlocks,
          blockSize: decision.blockSize,
          predictedCachedTokens: decision.prediction.cachedTokens,
          ...(decision.prediction.ttftMs === undefined ? {} : { predictedTtftMs: decision.prediction.ttftMs }),
        });
      } catch (err) {
        return callback(toGrpcStatus(err));
      }
    },
    listWorkers: (call: ServerUnaryCall<ListWorkersRequest, ListWorkersResponse>, callback: sendUnaryData<ListWorkersResponse>) =>
      callback(null, { workers: deps.listWorkers(call.request.model) }),
    dumpIndex: (call: ServerUnaryCall<DumpIndexRequest, DumpIndexResponse>, callback: sendUnaryData<DumpIndexResponse>) => {
      try {
        return callback(null, { workers: deps.dumpIndex(call.request.model) });
      } catch (err) {
        return callback(toGrpcStatus(err));
      }
    },
    followReservations: (call) => {
      if (deps.followReservations !== undefined) return void deps.followReservations(call);
      failStream(call, new FailedPreconditionError("reservation sharing is off on this router (--replica-sharing off)"));
    },
  };
  // Route's prompt is decoded into a Uint32Array, its hashes into arrays sized once
  // (route-request-decode.ts); its answer is encoded from the decision's rows (route-response-encode.ts).
  const route = { ...RouterService.route, requestDeserialize: (value: Buffer): DecodedRouteRequest => decodeRouteRequest(value), responseSerialize: encodeRouteResponse };
  const definition = { ...RouterService, route };
  return { definition, implementation };
}

/** Router.Generate: the forwarder's stream onto the call; a caller cancel aborts it. */
function generate(deps: RouterServiceDeps, call: ServerWritableStream<GenerateRequest, GenerateResponse>): Promise<void> {
  const requestId = call.request.requestId || requestIdOf(call);
  const log = deps.log.child({ request_id: requestId });
  return serveStream(call, log, async ({ signal, write }) => {
    for await (const msg of deps.forwarder.generate({ ...call.request, requestId }, signal)) {
      if (signal.aborted) break;
      await write(msg);
    }
  });
}
