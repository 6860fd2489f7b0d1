// An in-process fake Worker for preprocessor tests: serves only GetModelCard (the card given)
// and registers in discovery as service "worker" with meta.model = the card's name.
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import type { Discovery } from "#common/discovery/index.js";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import { WorkerService } from "#contracts/gen/kvmesh/v1/worker.js";
import type { GetModelCardRequest, GetModelCardResponse } from "#contracts/gen/kvmesh/v1/worker.js";
import { startRegisteredFake } from "./registered-fake.js";

/** A running fake worker. */
export interface FakeWorker {
  readonly port: number;
  /** How many times its card was fetched. */
  readonly cardFetches: number;
  stop(): Promise<void>;
}

/** Starts a fake worker serving `card` and registers it under `instanceId`. */
export async function startFakeWorker(discovery: Discovery, instanceId: string, card: ModelCard): Promise<FakeWorker> {
  let cardFetches = 0;
  const unimplemented = (_call: unknown, callback: (err: object) => void): void => callback({ code: GrpcStatus.UNIMPLEMENTED, details: "fake worker" });
  const getModelCard = (_call: ServerUnaryCall<GetModelCardRequest, GetModelCardResponse>, callback: sendUnaryData<GetModelCardResponse>): void => {
    cardFetches++;
    callback(null, { card, workerId: instanceId });
  };
  const fake = await startRegisteredFake({
    discovery, service: "worker", instanceId, meta: { model: card.name },
    binding: {
      definition: WorkerService,
      implementation: { getModelCard, generate: unimplemented, getLoad: unimplemented, streamKvEvents: unimplemented, dumpKvState: unimplemented, clearKvCache: unimplemented },
    },
  });
  return {
    port: fake.port,
    get cardFetches() {
      return cardFetches;
    },
    stop: () => fake.stop(),
  };
}
