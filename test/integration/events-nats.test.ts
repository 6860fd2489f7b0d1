// KV events over a real nats-server between two processes: the nats-peer fixture publishes,
// this process subscribes; the broker is then restarted on the same port and delivery must
// resume with onReconnect called.
import { expect } from "chai";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { hasExited, terminate } from "#common/child-process.js";
import { connectNats } from "#common/events/nats-connection.js";
import { NatsEventSubscriber } from "../../services/router/src/events/nats-subscriber.js";
import type { KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import { natsServerBinary, startNatsServer } from "../support/nats-server.js";
import type { NatsServerHandle } from "../support/nats-server.js";

const PEER = fileURLToPath(new URL("../fixtures/nats-peer.js", import.meta.url));
const quiet = { info() {}, warn() {}, debug() {} };

async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stopPeer(peer: ChildProcess): Promise<void> {
  if (hasExited(peer)) return;
  await terminate(peer, new Promise<void>((resolve) => peer.once("exit", () => resolve())), 5000);
}

describe("KV events over NATS (two processes)", function () {
  let nats: NatsServerHandle | undefined;
  let peer: ChildProcess | undefined;
  let subscriber: NatsEventSubscriber | undefined;
  let peerLog = "";

  before(function () {
    if (!natsServerBinary()) {
      if (process.env.CI === "true") throw new Error("nats-server is required under CI");
      this.skip();
    }
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.error(`nats-peer output:\n${peerLog}`);
    await subscriber?.close().catch(() => {});
    if (peer) await stopPeer(peer);
    await nats?.stop();
  });

  it("delivers batches and loads, and resumes with onReconnect after a broker restart", async () => {
    nats = await startNatsServer();
    const connection = await connectNats({ url: nats.url, name: "events-nats-test", log: quiet, reconnectTimeWaitMs: 100 });
    subscriber = new NatsEventSubscriber({ connection, namespace: "itest", log: quiet });
    const batches: KvEventBatch[] = [];
    const loads: WorkerLoad[] = [];
    let reconnects = 0;
    subscriber.subscribe("Test/Model.v1", {
      onBatch: (b) => void batches.push(b),
      onLoad: (l) => void loads.push(l),
      onReconnect: () => void reconnects++,
    });
    // A subscription to another model must see nothing of this one.
    const other: KvEventBatch[] = [];
    subscriber.subscribe("other-model", { onBatch: (b) => void other.push(b), onLoad: () => {}, onReconnect: () => {} });

    peer = spawn(process.execPath, [PEER, "--url", nats.url, "--namespace", "itest", "--model", "Test/Model.v1", "--worker-id", "peer-1", "--interval", "100"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    peer.stdout!.on("data", (c: Buffer) => (peerLog += c.toString()));
    peer.stderr!.on("data", (c: Buffer) => (peerLog += c.toString()));

    await waitFor("three batches", () => batches.length >= 3);
    const ids = batches.flatMap((b) => b.events.map((e) => e.eventId));
    expect(ids.slice(1).every((id, i) => id === ids[i] + 1n), `consecutive ids ${ids}`).to.equal(true);
    expect(batches[0]).to.deep.include({ workerId: "peer-1", model: "Test/Model.v1" });
    expect(batches[0].events[0].data?.$case).to.equal("stored");
    await waitFor("a load", () => loads.length > 0);
    expect(loads[0]).to.deep.include({ workerId: "peer-1", blocksTotal: 1024 });
    expect(reconnects).to.equal(0);

    await nats.stop();
    const lastBefore = batches.flatMap((b) => b.events.map((e) => e.eventId)).at(-1)!;
    await nats.restart();

    await waitFor("onReconnect", () => reconnects >= 1);
    await waitFor("a batch published after the restart", () => (batches.at(-1)?.events.at(-1)?.eventId ?? 0n) > lastBefore + 2n);
    expect(reconnects).to.equal(1);
    expect(other).to.deep.equal([]);
    expect(peerLog).to.match(/"msg":"published"/);
  });
});
