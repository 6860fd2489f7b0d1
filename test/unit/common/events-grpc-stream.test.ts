// StreamKvEvents end to end over real gRPC on 127.0.0.1: the ring-backed handler on a
// grpc-js Server, followed by a GrpcEventSource (and, for raw status codes, a plain client).
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { EventRing } from "#common/events/event-ring.js";
import type { KvEventData } from "#common/events/event-ring.js";
import { createStreamKvEventsHandler } from "#common/events/kv-event-stream-handler.js";
import { GrpcEventSource } from "#common/events/grpc-event-subscriber.js";
import type { KvEvent, KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import { WorkerClient, WorkerService } from "#contracts/gen/kvmesh/v1/worker.js";
import type { DumpKvStateResponse, KvStreamMessage } from "#contracts/gen/kvmesh/v1/worker.js";

const quiet = { info() {}, warn() {}, debug() {} };

/** A worker's event side: a ring plus the cached set that DumpKvState reports. */
class FakeWorkerState {
  readonly ring: EventRing;
  readonly cached = new Set<bigint>();
  constructor(readonly epoch: bigint, capacity: number) {
    this.ring = new EventRing(capacity);
  }
  storeNext(count: number): void {
    const changes: KvEventData[] = [];
    for (let i = 0; i < count; i++) {
      const hash = 1_000_000n * this.epoch + this.ring.lastEventId + BigInt(i) + 1n;
      this.cached.add(hash);
      changes.push({ $case: "stored", stored: { blocks: [{ sequenceHash: hash, localHash: hash }] } });
    }
    this.ring.append(changes);
  }
  dump(): DumpKvStateResponse {
    const events: KvEvent[] = [...this.cached].map((h) => ({ eventId: 0n, data: { $case: "stored", stored: { blocks: [{ sequenceHash: h, localHash: h }] } } }));
    return { events, lastEventId: this.ring.lastEventId, epoch: this.epoch, workerId: "w1", model: "m" };
  }
}

async function serve(state: FakeWorkerState, port = 0): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(WorkerService, {
    streamKvEvents: createStreamKvEventsHandler({
      ring: state.ring, workerId: "w1", epoch: state.epoch, model: "m", loadIntervalMs: 50,
      loadProvider: () => ({ blocksActive: 1, blocksCachedFree: state.cached.size, blocksTotal: 64, running: 1, waiting: 0 }),
    }),
    dumpKvState: (_call: grpc.ServerUnaryCall<unknown, DumpKvStateResponse>, callback: grpc.sendUnaryData<DumpKvStateResponse>) => callback(null, state.dump()),
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port: bound };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Everything a source delivered, in order. */
class Recorder {
  readonly resyncs: DumpKvStateResponse[] = [];
  readonly batches: KvEventBatch[] = [];
  readonly loads: WorkerLoad[] = [];
  readonly handlers = {
    onResync: (d: DumpKvStateResponse) => void this.resyncs.push(d),
    onBatch: (b: KvEventBatch) => void this.batches.push(b),
    onLoad: (l: WorkerLoad) => void this.loads.push(l),
  };
  /** Event ids delivered since the last resync. */
  idsSinceResync(): bigint[] {
    return this.batches.flatMap((b) => b.events.map((e) => e.eventId)).filter((id) => id > (this.resyncs.at(-1)?.lastEventId ?? 0n));
  }
  allIds(): bigint[] {
    return this.batches.flatMap((b) => b.events.map((e) => e.eventId));
  }
}

function range(from: bigint, to: bigint): bigint[] {
  const out: bigint[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

describe("StreamKvEvents over gRPC", () => {
  const servers: grpc.Server[] = [];
  const sources: GrpcEventSource[] = [];
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.close()));
    for (const s of servers.splice(0)) s.forceShutdown();
  });
  const source = (port: number, rec: Recorder): GrpcEventSource => {
    const s = new GrpcEventSource({ address: `127.0.0.1:${port}`, handlers: rec.handlers, log: quiet, backoff: { baseMs: 20, maxMs: 200, random: seeded(7) } });
    sources.push(s);
    s.start();
    return s;
  };

  describe("handler, raw client", () => {
    const table: { after: bigint | undefined; expectIds: bigint[] | "OUT_OF_RANGE" }[] = [
      { after: undefined, expectIds: range(5n, 12n) },
      { after: 4n, expectIds: range(5n, 12n) },
      { after: 9n, expectIds: [10n, 11n, 12n] },
      { after: 12n, expectIds: [] },
      { after: 3n, expectIds: "OUT_OF_RANGE" },
      { after: 13n, expectIds: "OUT_OF_RANGE" },
    ];
    for (const row of table) {
      it(`after_event_id ${row.after} with ids 1..12 retained from 5 → ${Array.isArray(row.expectIds) ? `[${row.expectIds.join(",")}] then a load` : row.expectIds}`, async () => {
        const state = new FakeWorkerState(1n, 8);
        state.storeNext(12);
        const { server, port } = await serve(state);
        servers.push(server);
        const client = new WorkerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        try {
          const got = await new Promise<KvStreamMessage[] | grpc.ServiceError>((resolve) => {
            const msgs: KvStreamMessage[] = [];
            const call = client.streamKvEvents({ afterEventId: row.after });
            call.on("data", (m: KvStreamMessage) => {
              msgs.push(m);
              if (m.message?.$case === "load") {
                call.cancel();
                resolve(msgs);
              }
            });
            call.on("error", (err: grpc.ServiceError) => resolve(err));
          });
          if (row.expectIds === "OUT_OF_RANGE") {
            expect(got).to.have.property("code", grpc.status.OUT_OF_RANGE);
            return;
          }
          const msgs = got as KvStreamMessage[];
          const ids = msgs.flatMap((m) => (m.message?.$case === "batch" ? m.message.batch.events.map((e) => e.eventId) : []));
          expect(ids).to.deep.equal(row.expectIds);
          const last = msgs.at(-1)!.message;
          expect(last?.$case).to.equal("load");
          if (last?.$case === "load") expect(last.load).to.deep.include({ workerId: "w1", epoch: 1n, model: "m", lastEventId: 12n, blocksCachedFree: 12 });
        } finally {
          client.close();
        }
      });
    }
  });

  it("ends open streams with status OK when the worker closes its ring", async () => {
    const state = new FakeWorkerState(1n, 8);
    const { server, port } = await serve(state);
    servers.push(server);
    const client = new WorkerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const code = await new Promise<number>((resolve) => {
        const call = client.streamKvEvents({});
        call.on("data", (m: KvStreamMessage) => {
          if (m.message?.$case === "load") state.ring.close();
        });
        call.on("status", (st: grpc.StatusObject) => resolve(st.code));
      });
      expect(code).to.equal(grpc.status.OK);
    } finally {
      client.close();
    }
  });

  describe("GrpcEventSource", () => {
    it("resyncs first, then delivers live events in order without gaps or duplicates", async () => {
      const state = new FakeWorkerState(1n, 64);
      state.storeNext(5);
      const { server, port } = await serve(state);
      servers.push(server);
      const rec = new Recorder();
      source(port, rec);
      await waitFor("first resync", () => rec.resyncs.length === 1);
      expect(rec.resyncs[0].lastEventId).to.equal(5n);
      expect(rec.resyncs[0].events).to.have.length(5);
      const random = seeded(3);
      for (let i = 0; i < 20; i++) state.storeNext(1 + Math.floor(random() * 3));
      const last = state.ring.lastEventId;
      await waitFor("all live events", () => rec.allIds().at(-1) === last);
      expect(rec.idsSinceResync()).to.deep.equal(range(6n, last));
      expect(rec.resyncs).to.have.length(1);
      await waitFor("a load report", () => rec.loads.some((l) => l.lastEventId === last));
    });

    it("resumes after the last seen event id when the worker's server comes back", async () => {
      const state = new FakeWorkerState(1n, 64);
      state.storeNext(3);
      const first = await serve(state);
      const rec = new Recorder();
      const src = source(first.port, rec);
      await waitFor("first resync", () => rec.resyncs.length === 1);
      state.storeNext(2);
      await waitFor("events 4..5", () => src.lastEventId === 5n);
      first.server.forceShutdown();
      state.storeNext(10); // missed while down, still in the ring
      const second = await serve(state, first.port);
      servers.push(second.server);
      state.storeNext(1);
      await waitFor("events up to 16", () => src.lastEventId === 16n);
      expect(rec.resyncs).to.have.length(1);
      expect(rec.idsSinceResync()).to.deep.equal(range(4n, 16n));
    });

    it("answers OUT_OF_RANGE with onResync when the ring dropped what it missed, then continues", async () => {
      const state = new FakeWorkerState(1n, 4);
      const first = await serve(state);
      const rec = new Recorder();
      const src = source(first.port, rec);
      await waitFor("first resync", () => rec.resyncs.length === 1);
      state.storeNext(2);
      await waitFor("events 1..2", () => src.lastEventId === 2n);
      first.server.forceShutdown();
      state.storeNext(9); // ids 3..11; the ring keeps 8..11
      const second = await serve(state, first.port);
      servers.push(second.server);
      await waitFor("second resync", () => rec.resyncs.length === 2);
      expect(rec.resyncs[1].lastEventId).to.equal(11n);
      expect(rec.resyncs[1].events).to.have.length(11);
      state.storeNext(2);
      await waitFor("events 12..13", () => src.lastEventId === 13n);
      expect(rec.idsSinceResync()).to.deep.equal([12n, 13n]);
    });

    it("resyncs to a restarted worker's new epoch", async () => {
      const old = new FakeWorkerState(1n, 64);
      old.storeNext(6);
      const first = await serve(old);
      const rec = new Recorder();
      const src = source(first.port, rec);
      await waitFor("first resync", () => rec.resyncs.length === 1);
      first.server.forceShutdown();
      const restarted = new FakeWorkerState(2n, 64);
      restarted.storeNext(2); // after_event_id 6 is past its last id: too new
      const second = await serve(restarted, first.port);
      servers.push(second.server);
      await waitFor("resync to epoch 2", () => rec.resyncs.length === 2);
      expect(rec.resyncs[1]).to.deep.include({ epoch: 2n, lastEventId: 2n });
      restarted.storeNext(1);
      await waitFor("event 3 of epoch 2", () => src.lastEventId === 3n);
      expect(rec.batches.at(-1)?.epoch).to.equal(2n);
    });

    it("resyncs on request (the router found an unknown parent)", async () => {
      const state = new FakeWorkerState(1n, 64);
      state.storeNext(1);
      const { server, port } = await serve(state);
      servers.push(server);
      const rec = new Recorder();
      const src = source(port, rec);
      await waitFor("first resync", () => rec.resyncs.length === 1);
      src.resync();
      await waitFor("second resync", () => rec.resyncs.length === 2);
      state.storeNext(1);
      await waitFor("event 2", () => src.lastEventId === 2n);
      expect(rec.idsSinceResync()).to.deep.equal([2n]);
    });
  });
});
