// KV events of real worker processes: a StreamKvEvents follower from event 0 under concurrent
// load rebuilds exactly DumpKvState; NATS carries the same batches; the onnx engine and the
// mocker fed the same token sequences emit the same event sequence; one mocker process hosts
// several registered workers.
import { expect } from "chai";
import type { ClientReadableStream } from "@grpc/grpc-js";
import type { Tokenizer } from "@huggingface/tokenizers";
import { FileDiscovery } from "#common/discovery/index.js";
import { connectNats } from "#common/events/nats-connection.js";
import { NatsEventSubscriber } from "../../services/router/src/events/nats-subscriber.js";
import type { KvEvent, KvEventBatch } from "#contracts/gen/kvmesh/v1/events.js";
import type { KvStreamMessage } from "#contracts/gen/kvmesh/v1/worker.js";
import { blockSetOf, replayKvEvents } from "../support/kv-replay.js";
import { natsServerBinary, startNatsServer } from "../support/nats-server.js";
import type { NatsServerHandle } from "../support/nats-server.js";
import { stopAllProcesses } from "../support/process.js";
import { loadStoriesTokenizer, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { dumpKvState, generate, getLoad, startWorkerProcess } from "../support/worker-process.js";
import type { WorkerProcess } from "../support/worker-process.js";

const quiet = { info() {}, warn() {}, debug() {} };
const STORIES = [
  "One day, a little boy named Tim went to the park with his mom. He saw a big tree and wanted to climb it.",
  "Lily and Ben were friends. They liked to play with blocks and build tall towers in the sun every day.",
  "There was a dog who liked to run fast in the garden, every morning and every evening, with his ball.",
];

async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Prompts sharing prefixes in several ways: the same story, a story plus a tail, two stories. */
function workload(tokenizer: Tokenizer): number[][] {
  const ids = STORIES.map((s) => tokenizer.encode(s).ids);
  const prompts: number[][] = [];
  for (let i = 0; i < 12; i++) {
    const base = ids[i % 3];
    prompts.push(i < 3 ? base : i < 6 ? [...base, ...ids[(i + 1) % 3].slice(1)] : [...base.slice(0, 20 + i), 3 + i]);
  }
  return prompts;
}

/** Follows StreamKvEvents from event 0, collecting every event. */
function follow(worker: WorkerProcess): { events: KvEvent[]; stream: ClientReadableStream<KvStreamMessage> } {
  const events: KvEvent[] = [];
  const stream = worker.client().streamKvEvents({ afterEventId: 0n });
  stream.on("data", (m: KvStreamMessage) => {
    if (m.message?.$case === "batch") events.push(...m.message.batch.events);
  });
  stream.on("error", () => undefined);
  return { events, stream };
}

describe("worker KV events (real processes)", function () {
  this.timeout(120_000);
  let tokenizer: Tokenizer;
  let nats: NatsServerHandle | undefined;

  before(function () {
    requireStoriesModel(this);
    if (!natsServerBinary()) {
      if (process.env.CI === "true") throw new Error("nats-server is required under CI");
      this.skip();
    }
    tokenizer = loadStoriesTokenizer();
  });
  afterEach(async () => {
    await stopAllProcesses();
    await nats?.stop();
  });

  it("a StreamKvEvents follower and a NATS subscriber both rebuild exactly DumpKvState under concurrent load", async () => {
    nats = await startNatsServer();
    // 40 blocks of 16: the workload overflows it, so removals happen too.
    const worker = await startWorkerProcess(["--model", storiesModelDir, "--block-size", "16", "--num-kv-blocks", "40", "--nats-url", nats.url, "--load-interval", "100ms"]);
    const connection = await connectNats({ url: nats.url, name: "worker-events-test", log: quiet });
    const subscriber = new NatsEventSubscriber({ connection, namespace: "kvmesh", log: quiet });
    const natsBatches: KvEventBatch[] = [];
    let natsLoads = 0;
    subscriber.subscribe("stories260K", { onBatch: (b) => natsBatches.push(b), onLoad: () => natsLoads++, onReconnect: () => undefined });
    await connection.flush();
    const followed = follow(worker);

    await Promise.all(workload(tokenizer).map((tokenIds) => generate(worker.client(), { tokenIds, stop: { maxTokens: 24, stopTokenIds: [], ignoreEos: true } })));
    const dump = await dumpKvState(worker.client());
    expect(dump.lastEventId > 0n).to.equal(true);
    expect(dump.events.length).to.be.greaterThan(0);
    await waitFor("the follower to reach the dump", () => (followed.events.at(-1)?.eventId ?? 0n) >= dump.lastEventId);
    await waitFor("NATS to reach the dump", () => (natsBatches.at(-1)?.events.at(-1)?.eventId ?? 0n) >= dump.lastEventId);
    await waitFor("a load report over NATS", () => natsLoads > 0);

    const ids = followed.events.map((e) => e.eventId);
    expect(ids).to.deep.equal(ids.map((_, i) => BigInt(i + 1)), "gap-free ids from 1");
    expect(followed.events.some((e) => e.data?.$case === "removed"), "the small pool evicted blocks").to.equal(true);
    const expected = blockSetOf(replayKvEvents(dump.events));
    expect(blockSetOf(replayKvEvents(followed.events))).to.deep.equal(expected);
    const overNats = natsBatches.flatMap((b) => b.events);
    expect(overNats.map((e) => e.eventId)).to.deep.equal(ids);
    expect(blockSetOf(replayKvEvents(overNats))).to.deep.equal(expected);
    expect(natsBatches.every((b) => b.workerId === worker.workerIds[0] && b.epoch === dump.epoch && b.model === "stories260K")).to.equal(true);
    expect((await getLoad(worker.client())).lastEventId).to.equal(dump.lastEventId);
    followed.stream.cancel();
    await subscriber.close();
  });

  it("the onnx engine and the mocker emit the same event sequence for the same token sequences", async () => {
    const flags = ["--model", storiesModelDir, "--block-size", "8", "--num-kv-blocks", "24"];
    const onnx = await startWorkerProcess(flags);
    const mocker = await startWorkerProcess([...flags, "--engine", "mocker", "--speedup-ratio", "1000"]);
    const streams = [follow(onnx), follow(mocker)];
    // One new token each: only prompt blocks are stored, so the model's choice of token cannot differ.
    for (const tokenIds of workload(tokenizer)) {
      for (const worker of [onnx, mocker]) await generate(worker.client(), { tokenIds, stop: { maxTokens: 1, stopTokenIds: [], ignoreEos: true } });
    }
    const last = (await dumpKvState(onnx.client())).lastEventId;
    expect((await dumpKvState(mocker.client())).lastEventId).to.equal(last);
    await waitFor("both followers", () => streams.every((s) => (s.events.at(-1)?.eventId ?? 0n) >= last));
    expect(streams[1].events).to.deep.equal(streams[0].events);
    expect(streams[0].events.some((e) => e.data?.$case === "removed")).to.equal(true);
    for (const s of streams) s.stream.cancel();
  });

  it("one mocker process hosts several workers, each with its own id, port, epoch and registration", async () => {
    const mocker = await startWorkerProcess(["--model", storiesModelDir, "--engine", "mocker", "--workers", "3", "--speedup-ratio", "100"], { workers: 3 });
    expect(new Set(mocker.workerIds).size).to.equal(3);
    expect(new Set(mocker.addresses).size).to.equal(3);
    const discovery = new FileDiscovery({ namespace: "kvmesh", dir: mocker.registryDir, ttlMs: 1000 });
    const listed = await discovery.list("worker");
    await discovery.close();
    expect(listed.map((i) => i.instanceId)).to.deep.equal([...mocker.workerIds].sort());
    expect(listed.every((i) => i.meta.model === "stories260K" && i.meta.block_size === "64" && i.meta.engine === "mocker")).to.equal(true);
    expect(new Set(listed.map((i) => i.meta.epoch)).size).to.equal(3);
    const prompt = tokenizer.encode(STORIES[0]).ids;
    const outputs = await Promise.all([0, 1, 2].map((i) => generate(mocker.client(i), { requestId: "same", tokenIds: prompt, sampling: { seed: 7n }, stop: { maxTokens: 16, stopTokenIds: [], ignoreEos: false } })));
    // The mocker's tokens depend on (seed, request, index) only: every worker agrees, and never ends on eos.
    expect(outputs[1].tokens).to.deep.equal(outputs[0].tokens);
    expect(outputs[2].tokens).to.deep.equal(outputs[0].tokens);
    expect(outputs[0].tokens).to.have.length(16);
    expect(outputs.map((o) => o.workerId)).to.deep.equal(mocker.workerIds);
  });
});
