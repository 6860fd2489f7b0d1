// An in-process fake Worker gRPC server for router tests: a model card, a KV event ring
// (StreamKvEvents, DumpKvState) the test appends to, a settable load, and a scripted Generate.
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from "@grpc/grpc-js";
import { EventRing } from "../../services/worker/src/events/event-ring.js";
import { createStreamKvEventsHandler } from "../../services/worker/src/events/kv-event-stream-handler.js";
import type { WorkerLoadCounts } from "../../services/worker/src/events/kv-event-stream-handler.js";
import type { GrpcServerHandle } from "#common/grpc-server.js";
import { hashBlocks } from "#common/kv-hash.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";
import { WorkerService } from "#contracts/gen/kvmesh/v1/worker.js";
import type { DumpKvStateResponse, GetModelCardResponse, WorkerServer } from "#contracts/gen/kvmesh/v1/worker.js";
import type { MemoryDiscovery } from "./memory-discovery.js";
import { startRegisteredFake } from "./registered-fake.js";

/** What a fake Generate does with a request: tokens to stream, then an optional failure. */
export interface GenerateScript {
  tokens: number;
  /** End with this gRPC code after the tokens instead of finishing. */
  failWith?: number;
}

/** A fake worker serving on 127.0.0.1, registered in a MemoryDiscovery. */
export interface FakeWorker {
  readonly workerId: string;
  readonly port: number;
  readonly server: GrpcServerHandle;
  /** Requests Generate received, in order. */
  readonly requests: GenerateRequest[];
  /** The next Generate calls' scripts (default: 3 tokens and finish). */
  readonly scripts: GenerateScript[];
  /** Caches `tokens`' full blocks and emits the stored event. */
  cache(tokens: number[]): void;
  /** Counters of the next load reports. */
  load: WorkerLoadCounts;
  stop(): Promise<void>;
}


/** Starts a fake worker of `model` with `blockSize` and registers it as service "worker". */
export async function startFakeWorker(discovery: MemoryDiscovery, workerId: string, model: string, blockSize: number): Promise<FakeWorker> {
  const epoch = 7n;
  const ring = new EventRing(1024, () => 1);
  const cached = new Map<bigint, { parent?: bigint; local: bigint }>();
  const requests: GenerateRequest[] = [];
  const scripts: GenerateScript[] = [];
  const self = {
    load: { blocksActive: 0, blocksCachedFree: 0, blocksTotal: 100, running: 0, waiting: 0 } as WorkerLoadCounts,
  };
  const unary = <Q, R>(answer: (req: Q) => R) => (call: ServerUnaryCall<Q, R>, callback: sendUnaryData<R>) => callback(null, answer(call.request));
  const implementation: WorkerServer = {
    generate: (call: ServerWritableStream<GenerateRequest, GenerateResponse>) => {
      requests.push(call.request);
      const script = scripts.shift() ?? { tokens: 3 };
      const base = call.request.resumeFromIndex ?? 0;
      for (let i = 0; i < script.tokens; i++) {
        const last = i === script.tokens - 1 && script.failWith === undefined;
        call.write({
          tokenIds: [1000 + base + i], index: base + i, logprobs: [], workerId, migrations: 0,
          finishReason: last ? 2 : undefined, usage: last ? { promptTokens: call.request.tokenIds.length, completionTokens: script.tokens, cachedTokens: 0 } : undefined,
        });
      }
      if (script.failWith !== undefined) call.emit("error", { code: script.failWith, details: `scripted failure of ${workerId}` });
      else call.end();
    },
    getModelCard: unary<object, GetModelCardResponse>(() => ({
      workerId,
      card: { name: model, contextLength: 4096, blockSize, totalKvBlocks: 100, eosTokenIds: [2], tokenizerJson: "", tokenizerConfigJson: "", generationConfigJson: "", engine: "mocker" },
    })),
    getLoad: unary(() => ({ load: { ...self.load, workerId, epoch, model, lastEventId: ring.lastEventId } })),
    streamKvEvents: createStreamKvEventsHandler({ ring, workerId, epoch, model, loadIntervalMs: 50, loadProvider: () => self.load }),
    dumpKvState: unary<object, DumpKvStateResponse>(() => {
      const events: KvEvent[] = [...cached].map(([sequenceHash, b]) => ({
        eventId: 0n, data: { $case: "stored", stored: { parentSequenceHash: b.parent, blocks: [{ sequenceHash, localHash: b.local }] } },
      }));
      return { events, lastEventId: ring.lastEventId, epoch, workerId, model };
    }),
    clearKvCache: (_call: unknown, callback: sendUnaryData<never>) => callback({ code: GrpcStatus.UNIMPLEMENTED, details: "fake" }, null),
  };
  const { server, port } = await startRegisteredFake({
    discovery, service: "worker", instanceId: workerId, meta: { model, block_size: String(blockSize), engine: "mocker" },
    binding: { definition: WorkerService, implementation }, reflection: false,
  });
  return Object.assign(self, {
    workerId, port, server, requests, scripts,
    cache: (tokens: number[]) => {
      const h = hashBlocks(tokens, blockSize);
      const blocks = h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] }));
      blocks.forEach((b, i) => cached.set(b.sequenceHash, { parent: i === 0 ? undefined : h.sequence[i - 1], local: b.localHash }));
      ring.append([{ $case: "stored", stored: { blocks } }]);
    },
    stop: async () => {
      discovery.remove(workerId);
      ring.close();
      await server.drain(0);
    },
  });
}
