// Event ids have one owner, the worker's EventRing: the engine's recorder hands on unnumbered
// changes, the bridge numbers them once, and both transports carry those numbers. A real
// engine (toy runner, small pool so blocks are evicted) feeds a bridge whose 8-event ring wraps
// many times; the NATS side (the bridge's publisher) and a StreamKvEvents follower over real
// gRPC on 127.0.0.1 must see the same ids, 1..N with no gap, and WorkerLoad the same last id.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import type { KvEvent, KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import { WorkerClient, WorkerService } from "#contracts/gen/kvmesh/v1/worker.js";
import type { KvStreamMessage } from "#contracts/gen/kvmesh/v1/worker.js";
import type { EventPublisher } from "../../../services/worker/src/events/event-publisher.js";
import { KvEventBridge } from "../../../services/worker/src/events/kv-event-bridge.js";
import { createStreamKvEventsHandler } from "../../../services/worker/src/events/kv-event-stream-handler.js";
import { range, waitFor } from "../../support/event-worker-state.js";
import { collect, engineWith, params, replay, tokens, ToyRunner } from "./engine-fixtures.js";

const RING = 8;

/** The NATS publisher's side of the bridge: every batch and load it would put on the wire. */
class CapturingPublisher implements EventPublisher {
  readonly batches: KvEventBatch[] = [];
  readonly loads: WorkerLoad[] = [];
  publishKvEvents(batch: KvEventBatch): void {
    this.batches.push(batch);
  }
  publishLoad(load: WorkerLoad): void {
    this.loads.push(load);
  }
  async close(): Promise<void> {}
}

async function serveRing(bridge: KvEventBridge): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(WorkerService, {
    streamKvEvents: createStreamKvEventsHandler({
      ring: bridge.ring, workerId: "w1", epoch: 7n, model: "m", loadIntervalMs: 50,
      loadProvider: () => {
        const { workerId: _w, epoch: _e, model: _m, lastEventId: _l, ...counts } = bridge.load();
        return counts;
      },
    }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

/** An event as text (a decoded event has `undefined` where the published one has no key). */
const wire = (e: KvEvent): string => JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

/** Follows StreamKvEvents after `afterEventId`: the events, or the status that ended the call. */
function follow(client: WorkerClient, afterEventId: bigint): { events: KvEvent[]; loads: WorkerLoad[]; ended: Promise<grpc.StatusObject>; call: grpc.ClientReadableStream<KvStreamMessage> } {
  const events: KvEvent[] = [];
  const loads: WorkerLoad[] = [];
  const call = client.streamKvEvents({ afterEventId });
  call.on("data", (m: KvStreamMessage) => {
    if (m.message?.$case === "batch") events.push(...m.message.batch.events);
    if (m.message?.$case === "load") loads.push(m.message.load);
  });
  call.on("error", () => undefined);
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
  return { events, loads, ended, call };
}

describe("worker KV event ids: one owner (the ring), the same ids on NATS and StreamKvEvents", () => {
  let server: grpc.Server | undefined;
  let client: WorkerClient | undefined;
  afterEach(() => {
    client?.close();
    server?.forceShutdown();
  });

  it("after the ring wrapped, both transports carry ids 1..N without a gap, and a resume serves the ring's ids", async () => {
    // 12 blocks of 4 tokens, prompts of 24..40 tokens: every request evicts another's blocks.
    const engine = engineWith(new ToyRunner(12, 4));
    const publisher = new CapturingPublisher();
    const bridge = new KvEventBridge({ engine, identity: { workerId: "w1", epoch: 7n, model: "m" }, ringBytes: RING, ringEventCost: () => 1, publisher, loadIntervalMs: 60_000 });
    const served = await serveRing(bridge);
    server = served.server;
    const port = served.port;
    client = new WorkerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const live = follow(client, 0n);
    await waitFor("the follower's first load", () => live.loads.length > 0);

    for (let i = 0; i < 12; i++) await collect(engine, params(`r${i}`, tokens(24 + (i % 5) * 4, 100 + i), { maxTokens: 3 }));
    const last = bridge.load().lastEventId;
    expect(last > BigInt(3 * RING), `the ring wrapped several times (${last} events, ring of ${RING})`).to.equal(true);
    await waitFor("the follower to reach the last id", () => (live.events.at(-1)?.eventId ?? 0n) >= last);

    const overNats = publisher.batches.flatMap((b) => b.events);
    expect(overNats.map((e) => e.eventId)).to.deep.equal(range(1n, last), "NATS: ids 1..N, no gap");
    expect(live.events.map((e) => e.eventId)).to.deep.equal(range(1n, last), "StreamKvEvents: ids 1..N, no gap");
    expect(live.events.map(wire)).to.deep.equal(overNats.map(wire), "the same events under the same ids");
    expect(overNats.some((e) => e.data?.$case === "removed"), "the small pool evicted blocks").to.equal(true);
    expect(publisher.batches.every((b) => b.workerId === "w1" && b.epoch === 7n && b.model === "m")).to.equal(true);
    // Both rebuild the engine's own cache.
    expect([...replay(overNats).keys()].sort()).to.deep.equal([...replay(bridge.dump().events).keys()].sort());

    // The ring kept only the newest RING ids: a resume inside them gets exactly those, one older is OUT_OF_RANGE.
    const resumed = follow(client, last - 3n);
    await waitFor("the resumed follower's load", () => resumed.loads.length > 0);
    expect(resumed.events.map((e) => e.eventId)).to.deep.equal(range(last - 2n, last));
    expect(resumed.loads[0].lastEventId).to.equal(last);
    expect(bridge.ring.oldestEventId).to.equal(last - BigInt(RING) + 1n);
    const tooOld = follow(client, last - BigInt(RING) - 1n);
    expect((await tooOld.ended).code).to.equal(grpc.status.OUT_OF_RANGE);
    live.call.cancel();
    resumed.call.cancel();
    bridge.close();
  });
});
