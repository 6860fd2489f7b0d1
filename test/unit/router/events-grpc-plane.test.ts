// The router's KV event plane over StreamKvEvents, end to end on 127.0.0.1: a real worker
// handler and ring, the EventPlane with its GrpcEventSource (transport only), its one
// DumpFetcher and the KvEventFeed that owns order and resync. What was asserted of the old
// self-resyncing GrpcEventSource is asserted here of the index it feeds.
import { expect } from "chai";
import type * as grpc from "@grpc/grpc-js";
import { createLogger } from "#common/logger.js";
import { EventPlane } from "../../../services/router/src/events/event-plane.js";
import type { FeedObserver, ResyncCause } from "../../../services/router/src/events/kv-event-feed.js";
import { ClientCache } from "#common/client-cache.js";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import { WorkerRegistry } from "../../../services/router/src/workers/worker-registry.js";
import { FakeWorkerState, serveEvents as serve, waitFor } from "../../support/event-worker-state.js";

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A plane following worker "w1" of model "m" at 127.0.0.1:`port`; records resync causes. */
function follow(port: number) {
  const registry = new WorkerRegistry();
  registry.discovered({ workerId: "w1", model: "m", address: `127.0.0.1:${port}` });
  registry.cardReceived("w1", 4);
  const clients = new ClientCache(WorkerClient);
  const causes: ResyncCause[] = [];
  const observer: FeedObserver = { applied() {}, rejected() {}, resync: (_w, cause) => void causes.push(cause) };
  const plane = new EventPlane({
    transport: "grpc", namespace: "t", registry, clients, observer, log: createLogger({ service: "router-test", level: "silent" }),
    retry: { stream: { baseMs: 20, maxMs: 200, random: seeded(7) }, dumpRetryMs: 20 },
  });
  plane.workerReady(registry.get("w1")!);
  const index = plane.feed.indexer("m");
  const stream = () => index.streamOf("w1");
  const blocks = () => index.dump().find((w) => w.workerId === "w1")?.sequenceHashes ?? [];
  const close = async () => {
    await plane.close();
    clients.closeAll();
  };
  return { plane, registry, causes, stream, blocks, close };
}

/** The worker's cached blocks, sorted like DumpIndex. */
const sorted = (state: FakeWorkerState): bigint[] => [...state.cached].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("router KV event plane over StreamKvEvents", () => {
  const servers: grpc.Server[] = [];
  const planes: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(planes.splice(0).map((p) => p.close()));
    for (const s of servers.splice(0)) s.forceShutdown();
  });
  const start = (port: number) => {
    const p = follow(port);
    planes.push(p);
    return p;
  };

  it("resyncs first, then applies live events in order without gaps or duplicates", async () => {
    const state = new FakeWorkerState(1n, 64);
    state.storeNext(5);
    const { server, port } = await serve(state);
    servers.push(server);
    const p = start(port);
    await waitFor("first resync", () => p.stream()?.lastEventId === 5n);
    expect(p.blocks()).to.deep.equal(sorted(state));
    await waitFor("the stream", () => state.streamsAfter.length === 1);
    expect(state.streamsAfter, "the stream opens after the dump").to.deep.equal([5n]);
    const random = seeded(3);
    for (let i = 0; i < 20; i++) state.storeNext(1 + Math.floor(random() * 3));
    const last = state.ring.lastEventId;
    await waitFor("all live events", () => p.stream()?.lastEventId === last);
    expect(p.blocks()).to.deep.equal(sorted(state));
    expect(state.dumps).to.equal(1);
    expect(p.causes).to.deep.equal(["first-sight"]);
    await waitFor("a load report", () => p.registry.get("w1")?.load?.lastEventId === last);
  });

  it("resumes after the last applied event id when the worker's server comes back", async () => {
    const state = new FakeWorkerState(1n, 64);
    state.storeNext(3);
    const first = await serve(state);
    const p = start(first.port);
    await waitFor("first resync", () => p.stream()?.lastEventId === 3n);
    state.storeNext(2);
    await waitFor("events 4..5", () => p.stream()?.lastEventId === 5n);
    first.server.forceShutdown();
    state.storeNext(10); // missed while down, still in the ring
    const second = await serve(state, first.port);
    servers.push(second.server);
    state.storeNext(1);
    await waitFor("events up to 16", () => p.stream()?.lastEventId === 16n);
    expect(state.dumps).to.equal(1);
    expect(p.causes).to.deep.equal(["first-sight"]);
    expect(state.streamsAfter.at(-1)).to.equal(5n);
    expect(p.blocks()).to.deep.equal(sorted(state));
  });

  it("resyncs from a dump on OUT_OF_RANGE when the ring dropped what it missed, then continues", async () => {
    const state = new FakeWorkerState(1n, 4);
    const first = await serve(state);
    const p = start(first.port);
    await waitFor("first resync", () => state.dumps === 1 && p.stream()?.lastEventId === 0n);
    state.storeNext(2);
    await waitFor("events 1..2", () => p.stream()?.lastEventId === 2n);
    first.server.forceShutdown();
    state.storeNext(9); // ids 3..11; the ring keeps 8..11
    const second = await serve(state, first.port);
    servers.push(second.server);
    await waitFor("second resync", () => state.dumps === 2 && p.stream()?.lastEventId === 11n);
    expect(p.causes).to.deep.equal(["first-sight", "reconnect"]);
    expect(p.blocks()).to.have.length(11);
    await waitFor("the stream after the second dump", () => state.streamsAfter.at(-1) === 11n);
    expect(state.streamsAfter.filter((after) => after === undefined), "no stream asks for everything retained").to.deep.equal([]);
    state.storeNext(2);
    await waitFor("events 12..13", () => p.stream()?.lastEventId === 13n);
    expect(p.blocks()).to.deep.equal(sorted(state));
    expect(state.dumps).to.equal(2);
  });

  it("resyncs to a restarted worker's new epoch and drops the old epoch's blocks", async () => {
    const old = new FakeWorkerState(1n, 64);
    old.storeNext(6);
    const first = await serve(old);
    const p = start(first.port);
    await waitFor("first resync", () => p.stream()?.lastEventId === 6n);
    first.server.forceShutdown();
    const restarted = new FakeWorkerState(2n, 64);
    restarted.storeNext(2); // after_event_id 6 is past its last id: too new
    const second = await serve(restarted, first.port);
    servers.push(second.server);
    await waitFor("resync to epoch 2", () => p.stream()?.epoch === 2n);
    expect(p.stream()).to.deep.equal({ epoch: 2n, lastEventId: 2n });
    restarted.storeNext(1);
    await waitFor("event 3 of epoch 2", () => p.stream()?.lastEventId === 3n);
    expect(p.stream()?.epoch).to.equal(2n);
    expect(p.blocks()).to.deep.equal(sorted(restarted));
  });

  it("resyncs when an event names an unknown parent, then continues after the dump", async () => {
    const state = new FakeWorkerState(1n, 64);
    state.storeNext(1);
    const { server, port } = await serve(state);
    servers.push(server);
    const p = start(port);
    await waitFor("first resync", () => p.stream()?.lastEventId === 1n);
    state.storeOrphan(424_242n);
    await waitFor("second resync", () => state.dumps === 2 && p.stream()?.lastEventId === 2n);
    expect(p.causes).to.deep.equal(["first-sight", "unknown-parent"]);
    state.storeNext(1);
    await waitFor("event 3", () => p.stream()?.lastEventId === 3n);
    expect(p.blocks()).to.deep.equal(sorted(state));
  });
});
