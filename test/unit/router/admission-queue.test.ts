import { expect } from "chai";
import { Decider } from "../../../services/router/src/decider.js";
import { KvIndexer } from "../../../services/router/src/indexer/kv-indexer.js";
import { AdmissionQueue, allSaturated, QUEUE_AGING_MS } from "../../../services/router/src/queue/admission-queue.js";
import type { QueueExit, QueueOrder } from "../../../services/router/src/queue/admission-queue.js";
import { waitTurn } from "../../../services/router/src/queue/wait-turn.js";
import { createSelector } from "../../../services/router/src/scheduling/selector.js";
import { ActiveSequences } from "../../../services/router/src/sequences/active-sequences.js";
import { readyRegistry } from "./router-fakes.js";

/** A queue over a settable saturation and clock, recording dispatches and exits. */
function harness(options: { maxLength?: number; maxWaitMs?: number; order?: QueueOrder } = {}) {
  const state = { now: 0, saturated: new Set<string>(["m"]) };
  const order: string[] = [];
  const exits: [QueueExit, number][] = [];
  const queue = new AdmissionQueue({
    maxLength: options.maxLength ?? 10, maxWaitMs: options.maxWaitMs ?? 1000, now: () => state.now,
    saturated: (model) => state.saturated.has(model),
    exited: (exit, waited) => exits.push([exit, waited]),
    order: options.order,
  });
  const offer = (id: string, model = "m", size = 0) => queue.offer(model, (exit) => order.push(`${id}:${exit}`), size);
  return { state, order, exits, queue, offer };
}

describe("router queue (late binding)", () => {
  it("saturation: at the threshold every worker is saturated, one token below on any worker it is not; no workers: not saturated", () => {
    expect(allSaturated([8192, 8192], 8192)).to.equal(true);
    expect(allSaturated([8192, 8191], 8192)).to.equal(false);
    expect(allSaturated([9000, 8193], 8192)).to.equal(true);
    expect(allSaturated([], 8192)).to.equal(false);
  });

  it("decides at once while a worker has room, holds while all are saturated, and releases in arrival order", () => {
    const h = harness();
    h.state.saturated.clear();
    expect(h.offer("a")).to.equal(undefined);
    h.state.saturated.add("m");
    expect(h.offer("b")).to.not.equal(undefined);
    h.state.now = 5;
    expect(h.offer("c")).to.not.equal(undefined);
    expect(h.queue.depth).to.equal(2);
    h.queue.release(); // still saturated: nothing leaves
    expect(h.order).to.deep.equal([]);
    h.state.saturated.clear();
    h.state.now = 20;
    h.queue.release();
    expect(h.order).to.deep.equal(["b:released", "c:released"]);
    expect(h.exits).to.deep.equal([["released", 20], ["released", 15]]);
    expect(h.queue.depth).to.equal(0);
  });

  it("asks saturation again after each dispatch (a dispatch admits load)", () => {
    const order: string[] = [];
    let saturated = true;
    const q = new AdmissionQueue({ maxLength: 10, maxWaitMs: 1000, now: () => 0, saturated: () => saturated });
    q.offer("m", () => {
      order.push("a");
      saturated = true; // deciding a fills the fleet again
    });
    q.offer("m", () => order.push("b"));
    saturated = false;
    q.release();
    expect(order).to.deep.equal(["a"]);
    expect(q.depth).to.equal(1);
  });

  it("a new arrival does not overtake a held request of its model when a worker frees without an event", () => {
    const h = harness();
    h.offer("a");
    h.state.saturated.clear();
    expect(h.offer("b")).to.equal(undefined); // a is released first, then b is decided at once
    expect(h.order).to.deep.equal(["a:released"]);
  });

  it("a saturated model does not block another model's requests", () => {
    const h = harness();
    h.offer("a");
    h.state.saturated.add("n");
    h.offer("x", "n");
    h.state.saturated.delete("n");
    h.queue.release();
    expect(h.order).to.deep.equal(["x:released"]);
    expect(h.queue.depth).to.equal(1);
  });

  it("max length: at it an arrival is decided at once (not rejected); one below, it is held; 0 holds nothing", () => {
    const h = harness({ maxLength: 2 });
    expect(h.offer("a")).to.not.equal(undefined);
    expect(h.offer("b")).to.not.equal(undefined); // the 2nd: at the max
    expect(h.offer("c")).to.equal(undefined); // one past: decided now
    expect(h.queue.depth).to.equal(2);
    const none = harness({ maxLength: 0 });
    expect(none.offer("a")).to.equal(undefined);
    expect(none.queue.depth).to.equal(0);
  });

  it("max wait: one ms before it the request stays; at it, it is dispatched as a timeout though still saturated", () => {
    const h = harness({ maxWaitMs: 100 });
    h.offer("a");
    h.state.now = 50;
    h.offer("b");
    expect(h.queue.nextDeadline()).to.equal(100);
    h.state.now = 99;
    h.queue.expire();
    expect(h.order).to.deep.equal([]);
    h.state.now = 100;
    h.queue.expire();
    expect(h.order).to.deep.equal(["a:timeout"]);
    expect(h.exits).to.deep.equal([["timeout", 100]]);
    expect(h.queue.nextDeadline()).to.equal(150);
    h.state.now = 150;
    h.queue.release(); // release also times out what is due
    expect(h.order).to.deep.equal(["a:timeout", "b:timeout"]);
    expect(h.queue.nextDeadline()).to.equal(undefined);
  });

  it("shortest first: fewest prompt tokens leave first, equal sizes in arrival order; fifo (the default) ignores sizes", () => {
    for (const [order, expected] of [
      ["shortest", ["c:released", "a:released", "d:released", "b:released"]],
      ["fifo", ["a:released", "b:released", "c:released", "d:released"]],
      [undefined, ["a:released", "b:released", "c:released", "d:released"]],
    ] as const) {
      const h = harness({ order, maxWaitMs: 10_000 });
      h.offer("a", "m", 500);
      h.offer("b", "m", 9000);
      h.offer("c", "m", 1);
      h.offer("d", "m", 500);
      h.state.saturated.clear();
      h.queue.release();
      expect(h.order, String(order)).to.deep.equal(expected);
    }
  });

  it("shortest first with aging: a request held QUEUE_AGING_MS goes before shorter ones; one ms less, it does not", () => {
    for (const [heldMs, expected] of [
      [QUEUE_AGING_MS - 1, ["short:released", "long:released"]],
      [QUEUE_AGING_MS, ["long:released", "short:released"]],
    ] as const) {
      const h = harness({ order: "shortest", maxWaitMs: 10_000 });
      h.offer("long", "m", 50_000);
      h.state.now = heldMs;
      h.offer("short", "m", 10);
      h.state.saturated.clear();
      h.queue.release();
      expect(h.order, `held ${heldMs} ms`).to.deep.equal(expected);
    }
  });

  it("shortest first: the next deadline is the oldest request's, wherever the order put it", () => {
    const h = harness({ order: "shortest", maxWaitMs: 100 });
    h.offer("long", "m", 900);
    h.state.now = 30;
    h.offer("short", "m", 1);
    h.queue.release(); // still saturated: sorts, dispatches nothing
    expect(h.order).to.deep.equal([]);
    expect(h.queue.nextDeadline()).to.equal(100);
  });

  it("cancel removes the ticket (never dispatched later); a second cancel is a no-op", () => {
    const h = harness();
    const a = h.offer("a")!;
    h.offer("b");
    h.state.now = 7;
    expect(h.queue.cancel(a)).to.equal(true);
    expect(h.queue.cancel(a)).to.equal(false);
    expect(h.queue.depth).to.equal(1);
    h.state.saturated.clear();
    h.queue.release();
    expect(h.order).to.deep.equal(["b:released"]);
    expect(h.exits).to.deep.equal([["cancelled", 7], ["released", 7]]);
  });
});

describe("router queue in the decider", () => {
  const build = (threshold: number, order?: QueueOrder) => {
    const registry = readyRegistry(["w1", "w2"]);
    const sequences = new ActiveSequences(() => 0);
    const index = new KvIndexer();
    const decider = new Decider({
      mode: "kv", registry, indexFor: () => index, sequences, selector: createSelector("kv"), overlapWeight: 1,
      queue: { thresholdTokens: threshold, maxLength: 8, maxWaitMs: 60_000, now: () => 0, order },
    });
    const send = (id: string, tokens: number) => decider.admit(id, decider.plan({ model: "m", tokenIds: Array.from({ length: tokens }, (_, i) => id.length * 100_000 + i + 3) }));
    return { decider, sequences, send };
  };

  it("holds while every worker has ≥ threshold uncached tokens in flight; a first token releases it", async () => {
    const { decider, sequences, send } = build(16);
    send("r1", 16);
    send("r22", 15);
    expect(sequences.activePrefillTokens("w1") + sequences.activePrefillTokens("w2")).to.equal(31);
    // One worker has 15 < 16 in flight: decided at once.
    expect(waitTurn(decider, "m", new AbortController().signal)).to.equal(undefined);
    send("r333", 1); // now both carry ≥ 16
    const held = waitTurn(decider, "m", new AbortController().signal);
    expect(held).to.be.instanceOf(Promise);
    expect(decider.queueDepth).to.equal(1);
    decider.firstToken("r1");
    await held;
    expect(decider.queueDepth).to.equal(0);
  });

  it("--router-queue-order shortest: the held request with the shorter prompt is decided first", async () => {
    const { decider, send } = build(16, "shortest");
    send("r1", 16);
    send("r22", 16);
    const decided: string[] = [];
    const long = waitTurn(decider, "m", new AbortController().signal, 5000)!.then(() => decided.push("long"));
    const short = waitTurn(decider, "m", new AbortController().signal, 20)!.then(() => decided.push("short"));
    expect(decider.queueDepth).to.equal(2);
    decider.firstToken("r1");
    await Promise.all([long, short]);
    expect(decided).to.deep.equal(["short", "long"]);
  });

  it("an aborted wait leaves the queue and resolves; without a queue nothing is held", async () => {
    const { decider, send } = build(1);
    send("r1", 4);
    send("r22", 4);
    const abort = new AbortController();
    const held = waitTurn(decider, "m", abort.signal);
    expect(decider.queueDepth).to.equal(1);
    abort.abort();
    await held;
    expect(decider.queueDepth).to.equal(0);
    const registry = readyRegistry(["w1"]);
    const plain = new Decider({ mode: "kv", registry, indexFor: () => undefined, sequences: new ActiveSequences(() => 0), selector: createSelector("kv"), overlapWeight: 1 });
    expect(plain.hold("m", () => {})).to.equal(undefined);
    expect(plain.queueDepth).to.equal(0);
  });
});
