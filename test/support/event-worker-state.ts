// A worker's KV event side for StreamKvEvents tests: a ring, the cached set DumpKvState
// reports, and a real grpc-js server on 127.0.0.1 that serves both through the worker's handler.
import * as grpc from "@grpc/grpc-js";
import { EventRing } from "../../services/worker/src/events/event-ring.js";
import type { KvEventData } from "../../services/worker/src/engine/kv-events.js";
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";
import { WorkerService } from "#contracts/gen/kvmesh/v1/worker.js";
import type { DumpKvStateResponse, StreamKvEventsRequest } from "#contracts/gen/kvmesh/v1/worker.js";
import { createStreamKvEventsHandler } from "../../services/worker/src/events/kv-event-stream-handler.js";

/** A worker "w1" of model "m": a ring of `capacity` events plus the blocks it caches. */
export class FakeWorkerState {
  readonly ring: EventRing;
  readonly cached = new Set<bigint>();
  /** DumpKvState calls answered. */
  dumps = 0;
  /** after_event_id of every StreamKvEvents call, in order. */
  readonly streamsAfter: (bigint | undefined)[] = [];

  constructor(readonly epoch: bigint, capacity: number) {
    this.ring = new EventRing(capacity, () => 1); // bounded in events: tests count what falls out
  }

  /** Stores `count` new root blocks, one event each. */
  storeNext(count: number): void {
    const changes: KvEventData[] = [];
    for (let i = 0; i < count; i++) {
      const hash = 1_000_000n * this.epoch + this.ring.lastEventId + BigInt(i) + 1n;
      this.cached.add(hash);
      changes.push({ $case: "stored", stored: { blocks: [{ sequenceHash: hash, localHash: hash }] } });
    }
    this.ring.append(changes);
  }

  /** Stores one block under a parent no router has seen (its dump lists it as a root). */
  storeOrphan(parentSequenceHash: bigint): void {
    const hash = 1_000_000n * this.epoch + this.ring.lastEventId + 1n;
    this.cached.add(hash);
    this.ring.append([{ $case: "stored", stored: { parentSequenceHash, blocks: [{ sequenceHash: hash, localHash: hash }] } }]);
  }

  dump(): DumpKvStateResponse {
    this.dumps++;
    const events: KvEvent[] = [...this.cached].map((h) => ({ eventId: 0n, data: { $case: "stored", stored: { blocks: [{ sequenceHash: h, localHash: h }] } } }));
    return { events, lastEventId: this.ring.lastEventId, epoch: this.epoch, workerId: "w1", model: "m" };
  }
}

/** Serves `state`'s StreamKvEvents (load every 50 ms) and DumpKvState on 127.0.0.1:`port`. */
export async function serveEvents(state: FakeWorkerState, port = 0): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const streamKvEvents = createStreamKvEventsHandler({
    ring: state.ring, workerId: "w1", epoch: state.epoch, model: "m", loadIntervalMs: 50,
    loadProvider: () => ({ blocksActive: 1, blocksCachedFree: state.cached.size, blocksTotal: 64, running: 1, waiting: 0 }),
  });
  server.addService(WorkerService, {
    streamKvEvents: (call: grpc.ServerWritableStream<StreamKvEventsRequest, never>) => {
      state.streamsAfter.push(call.request.afterEventId);
      streamKvEvents(call);
    },
    dumpKvState: (_call: grpc.ServerUnaryCall<unknown, DumpKvStateResponse>, callback: grpc.sendUnaryData<DumpKvStateResponse>) => callback(null, state.dump()),
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port: bound };
}

/** Polls `cond` every 10 ms until it holds, failing after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Ids from..to inclusive. */
export function range(from: bigint, to: bigint): bigint[] {
  const out: bigint[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}
