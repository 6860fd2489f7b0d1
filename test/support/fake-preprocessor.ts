// An in-process stand-in of the Preprocessor service for frontend tests: scripted streams and
// errors chosen by the prompt text, every request and cancellation recorded, registered in a
// file-discovery directory as a real preprocessor replica would be.
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { FileDiscovery } from "#common/discovery/index.js";
import type { Registration } from "#common/discovery/index.js";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import { PreprocessorService } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { PreprocessRequest, PreprocessResponse, PreprocessorServer } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { startRegisteredFake } from "./registered-fake.js";

/** The reply of a normal request, one message per piece. */
export const FAKE_PIECES = ["Hello", " from", " the fake"];

/** A running fake. */
export interface FakePreprocessor {
  readonly port: number;
  readonly requests: PreprocessRequest[];
  /** Request ids whose call the client cancelled. */
  readonly cancelled: string[];
  readonly registration: Registration;
  close(): Promise<void>;
}

function promptText(req: PreprocessRequest): string {
  const p = req.prompt;
  if (p?.$case === "text") return p.text;
  if (p?.$case === "chat") return p.chat.messages.at(-1)?.content ?? "";
  return "";
}

/** Streams FAKE_PIECES or fails as the prompt asks ("error:<code>", "midstream-error", "slow", "very-slow"). */
async function serve(call: ServerWritableStream<PreprocessRequest, PreprocessResponse>, fake: { cancelled: string[] }, workerId: string): Promise<void> {
  const req = call.request;
  const text = promptText(req);
  const code = /^error:(\d+)$/.exec(text)?.[1];
  if (code !== undefined) {
    call.emit("error", { code: Number(code), details: `fake error ${code}`, metadata: undefined });
    return;
  }
  let cancelled = false;
  call.once("cancelled", () => {
    cancelled = true;
    fake.cancelled.push(req.requestId);
  });
  const pause = text === "slow" ? 300 : text === "very-slow" ? 1000 : 0;
  for (const [i, piece] of FAKE_PIECES.entries()) {
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    if (cancelled) return;
    if (text === "midstream-error" && i === 2) {
      call.emit("error", { code: GrpcStatus.RESOURCE_EXHAUSTED, details: "worker queue full" });
      return;
    }
    const last = i === FAKE_PIECES.length - 1;
    const logprobs = req.sampling?.topLogprobs === undefined ? [] : [{ token: piece, logprob: -0.5, top: [{ token: piece, logprob: -0.5, tokenBytes: Buffer.from(piece) }], tokenBytes: Buffer.from(piece) }];
    call.write({
      text: piece, tokenIds: [10 + i], logprobs, workerId, migrations: 0, toolCalls: [],
      ...(last ? { finishReason: FinishReason.FINISH_REASON_STOP, usage: { promptTokens: 7, completionTokens: 3, cachedTokens: 4 } } : {}),
    });
  }
  call.end();
}

/** Starts the fake on 127.0.0.1:0 and registers it in `discoveryDir`. */
export async function startFakePreprocessor(discovery: FileDiscovery, options: { instanceId: string; workerId?: string; refuseAll?: boolean }): Promise<FakePreprocessor> {
  const requests: PreprocessRequest[] = [];
  const cancelled: string[] = [];
  const implementation: PreprocessorServer = {
    generate: (call) => {
      requests.push(call.request);
      if (options.refuseAll) return call.emit("error", { code: GrpcStatus.UNAVAILABLE, details: "fake draining" });
      return serve(call, { cancelled }, options.workerId ?? "worker-fake");
    },
    tokenize: (_call, callback) => callback({ code: GrpcStatus.UNIMPLEMENTED, details: "fake" }),
    detokenize: (_call, callback) => callback({ code: GrpcStatus.UNIMPLEMENTED, details: "fake" }),
  };
  const fake = await startRegisteredFake({ discovery, service: "preprocessor", instanceId: options.instanceId, binding: { definition: PreprocessorService, implementation } });
  return { port: fake.port, requests, cancelled, registration: fake.registration, close: () => fake.stop() };
}
