// Common's worker directory, the one way frontend, preprocessor and router learn of workers:
// the live set per model as a (fake) discovery reports it, each worker's model card fetched
// once over real gRPC on 127.0.0.1 (Worker.GetModelCard), and one reused client per worker,
// closed when it leaves. Plus the one host:port helper it dials with.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { dialAddress, hostPort } from "#common/discovery/index.js";
import type { Discovery, ServiceInstance, WatchCallback } from "#common/discovery/index.js";
import { WorkerDirectory } from "#common/directory/worker-directory.js";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import { WorkerClient, WorkerService } from "#contracts/gen/kvmesh/v1/worker.js";
import type { GetModelCardRequest, GetModelCardResponse } from "#contracts/gen/kvmesh/v1/worker.js";

const card = (name: string, blockSize = 16): ModelCard => ({
  name, contextLength: 512, blockSize, totalKvBlocks: 8, eosTokenIds: [2], tokenizerJson: "{}", tokenizerConfigJson: "", generationConfigJson: "", engine: "mocker",
});
const worker = (instanceId: string, model: string | undefined, port = 1, address = "127.0.0.1"): ServiceInstance =>
  ({ service: "worker", namespace: "t", instanceId, address, port, meta: model === undefined ? {} : { model } });

/** A discovery whose worker set the test sets; `watched` counts open watches. */
function fakeDiscovery() {
  let listeners: WatchCallback[] = [];
  let live: ServiceInstance[] = [];
  const discovery: Pick<Discovery, "watch"> = {
    watch: (service, onChange) => {
      expect(service).to.equal("worker");
      listeners.push(onChange);
      onChange(live);
      return { close: () => (listeners = listeners.filter((l) => l !== onChange)) };
    },
  };
  const set = (ws: ServiceInstance[]): void => {
    live = ws;
    for (const l of [...listeners]) l(ws);
  };
  return { discovery, set, watched: () => listeners.length };
}

/** WorkerClient that records its closes. */
class CountingClient extends WorkerClient {
  static made: CountingClient[] = [];
  closed = 0;
  constructor(...args: ConstructorParameters<typeof WorkerClient>) {
    super(...args);
    CountingClient.made.push(this);
  }
  override close(): void {
    this.closed++;
    super.close();
  }
}

/** A Worker server on 127.0.0.1 answering GetModelCard with `answer()`; counts calls. */
async function cardServer(answer: () => ModelCard | Error): Promise<{ port: number; calls: () => number; stop: () => void }> {
  let calls = 0;
  const server = new grpc.Server();
  server.addService(WorkerService, {
    getModelCard: (_call: grpc.ServerUnaryCall<GetModelCardRequest, GetModelCardResponse>, callback: grpc.sendUnaryData<GetModelCardResponse>) => {
      calls++;
      const a = answer();
      return a instanceof Error ? callback({ code: grpc.status.UNAVAILABLE, details: a.message }) : callback(null, { card: a, workerId: "w" });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, calls: () => calls, stop: () => server.forceShutdown() };
}

describe("common worker directory", () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
    CountingClient.made = [];
  });
  const directoryOn = (discovery: Pick<Discovery, "watch">, cardTimeoutMs?: number): WorkerDirectory => {
    const d = new WorkerDirectory({ discovery, clientClass: CountingClient, cardTimeoutMs });
    cleanup.push(() => d.close());
    return d;
  };

  it("host:port brackets IPv6 hosts once, and nothing else", () => {
    expect(hostPort("127.0.0.1", 50051)).to.equal("127.0.0.1:50051");
    expect(hostPort("::1", 1)).to.equal("[::1]:1");
    expect(hostPort("[::1]", "9090")).to.equal("[::1]:9090");
    expect(hostPort("localhost", 0)).to.equal("localhost:0");
    expect(dialAddress({ address: "fe80::2", port: 65535 })).to.equal("[fe80::2]:65535");
  });

  it("follows instances as they appear and disappear, per model; no watch before start, none after close", async () => {
    const { discovery, set, watched } = fakeDiscovery();
    const directory = directoryOn(discovery);
    expect(watched()).to.equal(0);
    const seen: string[][] = [];
    directory.onChange((ws) => seen.push(ws.map((w) => w.instanceId)));
    directory.start();
    directory.start(); // idempotent
    expect(watched()).to.equal(1);
    await directory.whenReady();
    expect(directory.workers).to.deep.equal([]);
    expect(directory.models()).to.deep.equal([]);

    set([worker("w1", "b"), worker("w2", "a"), worker("w3", "b"), worker("w4", undefined), worker("w5", "")]);
    expect(directory.workers.map((w) => w.instanceId)).to.deep.equal(["w1", "w2", "w3"], "a worker without a model is not listed");
    expect(directory.models()).to.deep.equal(["a", "b"]);
    expect(directory.workersOf("b").map((w) => w.instanceId)).to.deep.equal(["w1", "w3"]);
    expect(directory.workersOf("c")).to.deep.equal([]);

    set([worker("w2", "a")]);
    expect(directory.models()).to.deep.equal(["a"]);
    expect(directory.workersOf("b")).to.deep.equal([]);
    expect(seen).to.deep.equal([[], ["w1", "w2", "w3"], ["w2"]]);
    directory.close();
    expect(watched()).to.equal(0);
  });

  it("fetches a worker's card once (concurrent callers share it), per worker, and again after it re-registers", async () => {
    const server = await cardServer(() => card("m"));
    cleanup.push(server.stop);
    const other = await cardServer(() => card("m", 32));
    cleanup.push(other.stop);
    const { discovery, set } = fakeDiscovery();
    const directory = directoryOn(discovery);
    directory.start();
    const w1 = worker("w1", "m", server.port);
    const w2 = worker("w2", "m", other.port);
    set([w1, w2]);

    const [a, b] = await Promise.all([directory.card(w1), directory.card(w1)]);
    expect(a).to.deep.include(card("m"));
    expect(b).to.equal(a);
    expect(await directory.card(w1)).to.equal(a);
    expect(server.calls()).to.equal(1);
    expect((await directory.card(w2)).blockSize).to.equal(32);
    expect(other.calls()).to.equal(1);

    set([w2]); // w1 left: its card is forgotten
    set([w1, w2]);
    await directory.card(w1);
    expect(server.calls()).to.equal(2);
    set([{ ...w1, meta: { model: "other" } }, w2]); // same id and address, another model: another registration
    await directory.card({ ...w1, meta: { model: "other" } });
    expect(server.calls()).to.equal(3);
    expect(other.calls()).to.equal(1);
  });

  it("does not keep a failed card fetch: the next call asks the worker again", async () => {
    let fail = true;
    const server = await cardServer(() => (fail ? new Error("warming up") : card("m")));
    cleanup.push(server.stop);
    const { discovery, set } = fakeDiscovery();
    const directory = directoryOn(discovery, 2000);
    directory.start();
    const w1 = worker("w1", "m", server.port);
    set([w1]);
    const err = await directory.card(w1).catch((e: unknown) => e);
    expect(err).to.have.property("code", grpc.status.UNAVAILABLE);
    fail = false;
    expect((await directory.card(w1)).name).to.equal("m");
    expect(await directory.card(w1)).to.deep.include(card("m"));
    expect(server.calls()).to.equal(2);
  });

  it("reuses one client per worker, replaces it on a new address, closes it when the worker leaves and on close", () => {
    const { discovery, set } = fakeDiscovery();
    const directory = directoryOn(discovery);
    directory.start();
    const w1 = worker("w1", "m", 1001);
    const w2 = worker("w2", "m", 1002);
    set([w1, w2]);
    const c1 = directory.clientOf(w1) as CountingClient;
    expect(directory.clientOf(w1)).to.equal(c1);
    expect(directory.clients.get("w1", "127.0.0.1:1001")).to.equal(c1, "the same cache by id and address");
    const c2 = directory.clientOf(w2) as CountingClient;
    expect(c2).to.not.equal(c1);
    expect(CountingClient.made).to.have.length(2);

    const moved = worker("w1", "m", 1003);
    set([moved, w2]);
    const c1b = directory.clientOf(moved) as CountingClient;
    expect(c1b).to.not.equal(c1);
    expect(c1.closed).to.equal(1, "the old address's channel is closed");

    set([w2]); // w1 left
    expect(c1b.closed).to.equal(1);
    expect(c2.closed).to.equal(0);
    expect(directory.clients.size).to.equal(1);
    directory.close();
    expect(c2.closed).to.equal(1);
    expect(directory.clients.size).to.equal(0);
  });
});
