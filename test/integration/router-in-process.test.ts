// The router's gRPC service in-process against fake Worker servers (test/support/fake-worker):
// errors over the wire, migration on a worker's mid-stream failure, busy workers, block-size
// exclusion and a worker leaving discovery.
import { expect } from "chai";
import { Registry } from "prom-client";
import type { ServiceError } from "@grpc/grpc-js";
import { Code } from "#common/errors.js";
import { createClient } from "#common/grpc-client.js";
import { startGrpcServer } from "#common/grpc-server.js";
import type { GrpcServerHandle } from "#common/grpc-server.js";
import { createLogger } from "#common/logger.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import type { RouteRequest, RouteResponse } from "#contracts/gen/kvmesh/v1/router.js";
import { ERROR_PARAM_KEY } from "#common/grpc-errors.js";
import { hashBlocks } from "#common/kv-hash.js";
import { loadRouterConfig } from "../../services/router/src/config.js";
import { createRouter } from "../../services/router/src/router.js";
import type { RouterParts } from "../../services/router/src/router.js";
import { startFakeWorker } from "../support/fake-worker.js";
import type { FakeWorker } from "../support/fake-worker.js";
import { MemoryDiscovery } from "../support/memory-discovery.js";
import { dumpIndex, listWorkers, route, routerGenerate, waitForRoutable, waitUntil } from "../support/router-process.js";

const log = createLogger({ service: "router-test", level: "silent" });
const PROMPT = Array.from({ length: 17 }, (_, i) => 40 + i);

describe("router service in-process with fake workers", function () {
  this.timeout(30_000);
  const discovery = new MemoryDiscovery();
  let workers: FakeWorker[];
  let router: RouterParts;
  let server: GrpcServerHandle;
  let client: RouterClient;

  before(async () => {
    workers = [await startFakeWorker(discovery, "f1", "m", 4), await startFakeWorker(discovery, "f2", "m", 4)];
    const loaded = loadRouterConfig(["--kv-events", "grpc", "--busy-threshold", "0.8", "--migration-limit", "2"], {});
    router = createRouter(loaded.config!, { discovery, metrics: new Registry(), log });
    await router.start();
    server = await startGrpcServer({ address: "127.0.0.1:0", log, services: [router.service], reflection: false });
    client = createClient(RouterClient, `127.0.0.1:${server.port}`);
    await waitForRoutable(client, "m", 2);
  });

  after(async () => {
    client?.close();
    await server?.drain(0);
    await router?.close();
    await Promise.all((workers ?? []).map((w) => w.stop()));
  });

  const code = (p: Promise<unknown>): Promise<number | undefined> => p.then(() => undefined, (e: ServiceError) => e.code);

  it("answers NOT_FOUND for an unknown model and INVALID_ARGUMENT for an empty prompt", async () => {
    expect(await code(routerGenerate(client, { model: "nope", tokenIds: PROMPT }))).to.equal(Code.NOT_FOUND);
    expect(await code(route(client, "nope", PROMPT))).to.equal(Code.NOT_FOUND);
    expect(await code(routerGenerate(client, { model: "m", tokenIds: [] }))).to.equal(Code.INVALID_ARGUMENT);
  });

  it("routes to the worker whose events say it holds the prefix, and migrates when it fails mid-stream", async () => {
    const [f1, f2] = workers;
    f2.cache(PROMPT);
    await waitUntil("f2's blocks indexed", async () => (await route(client, "m", PROMPT)).workerId === "f2");
    expect((await route(client, "m", PROMPT)).bestOverlapBlocks).to.equal(4);
    f2.scripts.push({ tokens: 2, failWith: Code.INTERNAL });
    f1.scripts.push({ tokens: 3 });
    const out = await routerGenerate(client, { model: "m", tokenIds: PROMPT, stop: { maxTokens: 5, stopTokenIds: [], ignoreEos: false } });
    // Per token, not per message: the router joins tokens that already wait into one message.
    const tokens = out.flatMap((m) => m.tokenIds.map((id, k) => ({ id, index: m.index + k, workerId: m.workerId })));
    expect(tokens.map((t) => t.index)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(tokens.map((t) => t.workerId)).to.deep.equal(["f2", "f2", "f1", "f1", "f1"]);
    expect(tokens.map((t) => t.id)).to.deep.equal([1000, 1001, 1002, 1003, 1004]);
    expect(out.at(-1)).to.include({ migrations: 1, finishReason: 2 });
    const resumed = f1.requests.at(-1)!;
    expect(resumed.tokenIds).to.deep.equal([...PROMPT, 1000, 1001]);
    expect(resumed).to.include({ resumeFromIndex: 2 });
    expect(resumed.stop).to.include({ maxTokens: 3 });
  });

  it("routes by supplied block hashes, hashes without them, refuses a malformed set (param block_hashes), and never sends them to the worker", async () => {
    const [f1] = workers;
    const held = PROMPT.map((t) => t + 300); // cached on f1 alone (PROMPT itself is f2's, for the other tests)
    const other = PROMPT.map((t) => t + 500); // cached nowhere
    const h = hashBlocks(held, 4);
    const blockHashes = { blockSize: 4, localHashes: h.local, sequenceHashes: h.sequence };
    f1.cache(held);
    await waitUntil("held's blocks indexed on f1", async () => (await route(client, "m", held)).workers.find((w) => w.workerId === "f1")?.overlapBlocks === 4);
    const viaHashes = await unaryRoute({ model: "m", tokenIds: other, blockHashes });
    expect(viaHashes.workers.find((w) => w.workerId === "f1")?.overlapBlocks).to.equal(4);
    expect((await route(client, "m", other)).bestOverlapBlocks).to.equal(0);
    const bad = await unaryRoute({ model: "m", tokenIds: held, blockHashes: { ...blockHashes, sequenceHashes: h.sequence.slice(1) } }).then(
      () => undefined, (e: ServiceError) => e);
    expect(bad?.code).to.equal(Code.INVALID_ARGUMENT);
    expect(bad?.metadata.get(ERROR_PARAM_KEY)).to.deep.equal(["block_hashes"]);
    expect(await code(routerGenerate(client, { model: "m", tokenIds: held, blockHashes: { ...blockHashes, blockSize: 0 } }))).to.equal(Code.INVALID_ARGUMENT);
    const before = workers.map((w) => w.requests.length);
    await routerGenerate(client, { model: "m", tokenIds: held, blockHashes, stop: { maxTokens: 2, stopTokenIds: [], ignoreEos: false } });
    const sent = workers.flatMap((w, i) => w.requests.slice(before[i]));
    expect(sent).to.have.length(1);
    expect(sent[0].blockHashes).to.equal(undefined);
  });

  const unaryRoute = (request: RouteRequest): Promise<RouteResponse> =>
    new Promise((resolve, reject) => client.route(request, (err: ServiceError | null, res: RouteResponse) => (err ? reject(err) : resolve(res))));

  it("passes a worker's error about the request to the caller with its code, without retrying", async () => {
    const before = workers.map((w) => w.requests.length);
    workers[0].scripts.push({ tokens: 0, failWith: Code.OUT_OF_RANGE });
    const pinned = routerGenerate(client, { model: "m", tokenIds: PROMPT, workerId: "f1" });
    expect(await code(pinned)).to.equal(Code.OUT_OF_RANGE);
    expect(workers.map((w, i) => w.requests.length - before[i])).to.deep.equal([1, 0]);
  });

  it("answers RESOURCE_EXHAUSTED while every worker reports itself over --busy-threshold", async () => {
    for (const w of workers) w.load = { ...w.load, blocksActive: 90 };
    await waitUntil("busy loads seen", async () => (await listWorkers(client, "m")).workers.every((w) => w.load?.blocksActive === 90));
    expect(await code(routerGenerate(client, { model: "m", tokenIds: PROMPT }))).to.equal(Code.RESOURCE_EXHAUSTED);
    workers[0].load = { ...workers[0].load, blocksActive: 10 };
    await waitUntil("f1 free again", async () => (await route(client, "m", PROMPT).catch(() => undefined))?.workerId === "f1");
    workers[1].load = { ...workers[1].load, blocksActive: 10 };
  });

  it("excludes a worker with another block size, and drops a worker's blocks when it leaves discovery", async () => {
    workers.push(await startFakeWorker(discovery, "f3", "m", 8));
    await waitUntil("f3's card", async () => (await listWorkers(client, "m")).workers.some((w) => w.workerId === "f3" && w.blockSize === 8));
    const f3 = (await listWorkers(client, "m")).workers.find((w) => w.workerId === "f3")!;
    expect(f3).to.include({ routable: false });
    expect(f3.exclusionReason).to.match(/block size 8 differs from the model's 4/);
    expect((await dumpIndex(client, "m")).find((w) => w.workerId === "f2")?.sequenceHashes).to.have.length(4);
    discovery.remove("f2");
    await waitUntil("f2 gone from the index", async () => !(await dumpIndex(client, "m")).some((w) => w.workerId === "f2"));
    expect((await route(client, "m", PROMPT)).bestOverlapBlocks).to.equal(0);
  });
});
