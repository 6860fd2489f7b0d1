// An in-process fake Router for integration tests: serves Router.Generate from a script per
// request, records every request and whether the caller cancelled it, and registers itself in
// discovery as service "router". Its other methods are UNIMPLEMENTED.
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { Discovery } from "#common/discovery/index.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { RouterService } from "#contracts/gen/kvmesh/v1/router.js";
import { startRegisteredFake } from "./registered-fake.js";

/** One step of a scripted reply: send a message, fail, or keep the stream open until cancelled. */
export type FakeStep =
  | { send: Partial<GenerateResponse> & { tokenIds: number[] } }
  | { fail: { code: number; details: string } }
  | { hold: true };

/** A request as the fake router saw it. */
export interface SeenCall {
  request: GenerateRequest;
  /** Resolves when the caller cancels the call (never for a call that ended normally). */
  cancelled: Promise<void>;
  wasCancelled: boolean;
}

/** A running fake router. */
export interface FakeRouter {
  readonly calls: SeenCall[];
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a fake router on 127.0.0.1:0 and registers it under `instanceId`. */
export async function startFakeRouter(discovery: Discovery, instanceId: string, script: (request: GenerateRequest) => FakeStep[]): Promise<FakeRouter> {
  const calls: SeenCall[] = [];
  const generate = async (call: ServerWritableStream<GenerateRequest, GenerateResponse>): Promise<void> => {
    let markCancelled!: () => void;
    const seen: SeenCall = { request: call.request, wasCancelled: false, cancelled: new Promise<void>((resolve) => (markCancelled = resolve)) };
    calls.push(seen);
    call.once("cancelled", () => {
      seen.wasCancelled = true;
      markCancelled();
    });
    let index = 0;
    for (const step of script(call.request)) {
      if (seen.wasCancelled) return;
      if ("fail" in step) return void call.emit("error", step.fail);
      if ("hold" in step) return; // open until the caller cancels
      const message: GenerateResponse = { logprobs: [], index, workerId: "fake-worker", migrations: 0, ...step.send };
      index += message.tokenIds.length;
      call.write(message);
      await new Promise((r) => setImmediate(r));
    }
    call.end();
  };
  const unimplemented = (_call: unknown, callback: (err: object) => void): void => callback({ code: GrpcStatus.UNIMPLEMENTED, details: "fake router" });
  const fake = await startRegisteredFake({
    discovery, service: "router", instanceId,
    binding: { definition: RouterService, implementation: { generate, route: unimplemented, listWorkers: unimplemented, dumpIndex: unimplemented } },
  });
  return { calls, port: fake.port, stop: () => fake.stop() };
}
