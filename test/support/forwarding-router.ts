// A stand-in Router for integration tests with a real worker: Router.Generate forwarded to one
// worker's Worker.Generate (messages, errors and cancellation passed through), every call
// recorded with whether the caller cancelled it. Registers in discovery as service "router".
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServerWritableStream, ServiceError } from "@grpc/grpc-js";
import type { Discovery } from "#common/discovery/index.js";
import { createClient } from "#common/grpc-client.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { RouterService } from "#contracts/gen/kvmesh/v1/router.js";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import type { FakeRouter, SeenCall } from "./fake-router.js";
import { startRegisteredFake } from "./registered-fake.js";

/** Starts the forwarding router on 127.0.0.1:0 in front of the worker at `workerAddress`. */
export async function startForwardingRouter(discovery: Discovery, instanceId: string, workerAddress: string): Promise<FakeRouter> {
  const worker = createClient(WorkerClient, workerAddress);
  const calls: SeenCall[] = [];
  const generate = (call: ServerWritableStream<GenerateRequest, GenerateResponse>): void => {
    let markCancelled!: () => void;
    const seen: SeenCall = { request: call.request, wasCancelled: false, cancelled: new Promise<void>((resolve) => (markCancelled = resolve)) };
    calls.push(seen);
    const upstream = worker.generate(call.request);
    call.once("cancelled", () => {
      seen.wasCancelled = true;
      markCancelled();
      upstream.cancel();
    });
    upstream.on("data", (m: GenerateResponse) => call.write(m));
    upstream.on("end", () => call.end());
    upstream.on("error", (err: ServiceError) => {
      if (!seen.wasCancelled) call.emit("error", { code: err.code, details: err.details, metadata: err.metadata });
    });
  };
  const unimplemented = (_call: unknown, callback: (err: object) => void): void => callback({ code: GrpcStatus.UNIMPLEMENTED, details: "forwarding router" });
  const fake = await startRegisteredFake({
    discovery, service: "router", instanceId,
    binding: { definition: RouterService, implementation: { generate, route: unimplemented, listWorkers: unimplemented, dumpIndex: unimplemented } },
  });
  return {
    calls,
    port: fake.port,
    stop: async () => {
      await fake.stop();
      worker.close();
    },
  };
}
