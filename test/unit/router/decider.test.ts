import { expect } from "chai";
import { Code } from "#common/errors.js";
import { hashBlocks } from "#common/kv-hash.js";
import type { RouterMode } from "../../../services/router/src/decider.js";
import { Decider } from "../../../services/router/src/decider.js";
import { ApproxIndexer } from "../../../services/router/src/indexer/approx-indexer.js";
import { createSelector } from "../../../services/router/src/scheduling/selector.js";
import { ActiveSequences } from "../../../services/router/src/sequences/active-sequences.js";
import { WorkerRegistry } from "../../../services/router/src/workers/worker-registry.js";
import { deciderFor, readyRegistry } from "./router-fakes.js";

const BS = 4;
const prompt = (seed: number, blocks: number): number[] => Array.from({ length: blocks * BS }, (_, i) => seed * 1000 + i);

/** Index `tokens`' full blocks for `workerId` (one stored event). */
function cache(index: ReturnType<typeof deciderFor>["index"], workerId: string, tokens: number[]): void {
  const h = hashBlocks(tokens, BS);
  const last = index.streamOf(workerId)?.lastEventId ?? 0n;
  index.applyBatch({ workerId, epoch: 1n, events: [{ eventId: last + 1n, data: { $case: "stored", stored: { blocks: h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] })) } } }] });
}

describe("router decider", () => {
  it("sends a request to the worker holding its prefix, and an unrelated one elsewhere once load builds", () => {
    const { decider, index } = deciderFor(readyRegistry(["w1", "w2", "w3"]));
    const shared = prompt(1, 8);
    cache(index, "w2", shared);
    const plan = decider.plan({ model: "m", tokenIds: [...shared, 7, 7] });
    expect(plan.decision.workerId).to.equal("w2");
    expect(plan.decision.bestOverlapBlocks).to.equal(8);
    expect(plan.decision.workers.find((w) => w.workerId === "w2")).to.include({ overlapBlocks: 8, prefillTokens: 2, decodeBlocks: 9 });
    decider.admit("r1", plan);
    // w2 now has load and the most indexed blocks: an unrelated prompt goes to w1.
    expect(decider.plan({ model: "m", tokenIds: prompt(2, 3) }).decision.workerId).to.equal("w1");
    decider.finish("r1");
  });

  const errors: { name: string; registry: () => WorkerRegistry; mode?: RouterMode; busy?: number; model?: string; pin?: string; exclude?: string[]; code: number }[] = [
    { name: "unknown model → NOT_FOUND", registry: () => readyRegistry(["w1"]), model: "other", code: Code.NOT_FOUND },
    {
      name: "known model without a card yet → UNAVAILABLE",
      registry: () => {
        const r = new WorkerRegistry();
        r.discovered({ workerId: "w1", model: "m", address: "a:1" });
        return r;
      },
      code: Code.UNAVAILABLE,
    },
    { name: "every worker excluded (failed) → UNAVAILABLE", registry: () => readyRegistry(["w1", "w2"]), exclude: ["w1", "w2"], code: Code.UNAVAILABLE },
    { name: "direct mode without worker_id → INVALID_ARGUMENT", registry: () => readyRegistry(["w1"]), mode: "direct", code: Code.INVALID_ARGUMENT },
    { name: "a pin on an unknown worker → UNAVAILABLE", registry: () => readyRegistry(["w1"]), pin: "w9", code: Code.UNAVAILABLE },
    { name: "a pin on a block-size outlier → UNAVAILABLE", registry: () => readyRegistry(["w1", ["w2", 8]]), pin: "w2", code: Code.UNAVAILABLE },
  ];
  for (const c of errors) {
    it(c.name, () => {
      const { decider } = deciderFor(c.registry(), c.mode ?? "kv", c.busy);
      const question = { model: c.model ?? "m", tokenIds: prompt(1, 2), pinnedWorkerId: c.pin, excludeWorkerIds: new Set(c.exclude ?? []) };
      expect(() => decider.plan(question)).to.throw().with.property("code", c.code);
    });
  }

  it("all workers busy by their load reports → RESOURCE_EXHAUSTED; a pin still goes through", () => {
    const registry = readyRegistry(["w1", "w2"]);
    for (const w of ["w1", "w2"]) registry.setLoad(w, { blocksActive: 90, blocksTotal: 100, blocksCachedFree: 0, running: 1, waiting: 0, epoch: 1n, lastEventId: 0n });
    const { decider } = deciderFor(registry, "kv", 0.8);
    expect(() => decider.plan({ model: "m", tokenIds: prompt(1, 2) })).to.throw().with.property("code", Code.RESOURCE_EXHAUSTED);
    expect(decider.plan({ model: "m", tokenIds: prompt(1, 2), pinnedWorkerId: "w2" }).decision.workerId).to.equal("w2");
  });

  it("direct mode honours the pin; round-robin rotates in worker-id order", () => {
    expect(deciderFor(readyRegistry(["w1", "w2"]), "direct").decider.plan({ model: "m", tokenIds: [1], pinnedWorkerId: "w2" }).decision.workerId).to.equal("w2");
    const { decider } = deciderFor(readyRegistry(["w2", "w1", "w3"]), "round-robin");
    const picks = [0, 1, 2, 3].map(() => decider.plan({ model: "m", tokenIds: [1] }).decision.workerId);
    expect(picks).to.deep.equal(["w1", "w2", "w3", "w1"]);
  });
});

describe("router decider without KV events (approximate index)", () => {
  it("remembers where it sent a prefix and sends the next request sharing it there, until the TTL runs out", () => {
    let now = 0;
    const approx = new ApproxIndexer(() => now, 1000);
    const sequences = new ActiveSequences(() => now);
    const decider = new Decider({
      mode: "kv", registry: readyRegistry(["w1", "w2", "w3"]), indexFor: () => approx, approxFor: () => approx, sequences,
      selector: createSelector("kv"), overlapWeight: 1,
    });
    const shared = prompt(5, 6);
    // Pin the first request to w3 so the affinity cannot be the tie-break's doing.
    const first = decider.plan({ model: "m", tokenIds: shared, pinnedWorkerId: "w3" });
    decider.admit("a", first);
    decider.finish("a");
    expect(decider.plan({ model: "m", tokenIds: [...shared, 1] }).decision).to.include({ workerId: "w3", bestOverlapBlocks: 6 });
    now = 2000;
    expect(decider.plan({ model: "m", tokenIds: [...shared, 1] }).decision).to.include({ workerId: "w1", bestOverlapBlocks: 0 });
  });
});

describe("router worker registry: the block-size rule", () => {
  it("the first live worker sets the block size; a later one that disagrees is excluded with the reason, once", () => {
    const registry = new WorkerRegistry();
    registry.discovered({ workerId: "b", model: "m", address: "b:1" });
    registry.discovered({ workerId: "a", model: "m", address: "a:1" });
    expect(registry.cardReceived("b", 16)).to.deep.equal([]);
    const excluded = registry.cardReceived("a", 32);
    expect(excluded.map((w) => w.workerId)).to.deep.equal(["a"]);
    expect(registry.blockSize("m")).to.equal(16);
    const listed = registry.list("m");
    expect(listed.map((w) => [w.workerId, w.routable])).to.deep.equal([["a", false], ["b", true]]);
    expect(listed[0].exclusionReason).to.contain("block size 32").and.contain("16").and.contain("worker b");
    // The setter leaves: the survivor sets the size and becomes routable.
    registry.removed("b");
    expect(registry.blockSize("m")).to.equal(32);
    expect(registry.routable("m").map((w) => w.workerId)).to.deep.equal(["a"]);
  });

  it("a worker without its card is known but not routable", () => {
    const registry = new WorkerRegistry();
    registry.discovered({ workerId: "a", model: "m", address: "a:1" });
    expect(registry.isKnownModel("m")).to.equal(true);
    expect(registry.list()[0]).to.include({ routable: false, exclusionReason: "waiting for its model card", blockSize: 0 });
  });
});

describe("router decider: what the peer policies read", () => {
  it("candidates carry requests in flight (own count), waiting and KV usage (load report); 0 before a report", () => {
    const registry = readyRegistry(["w1", "w2"]);
    registry.setLoad("w1", { blocksActive: 30, blocksTotal: 120, blocksCachedFree: 0, running: 2, waiting: 7, epoch: 1n, lastEventId: 0n });
    const { decider } = deciderFor(registry, "least-loaded");
    decider.admit("a", decider.plan({ model: "m", tokenIds: prompt(1, 2), pinnedWorkerId: "w1" }));
    decider.admit("b", decider.plan({ model: "m", tokenIds: prompt(2, 2), pinnedWorkerId: "w1" }));
    const plan = decider.plan({ model: "m", tokenIds: prompt(3, 2) });
    expect(plan.input.candidates.map((c) => [c.workerId, c.requestsInFlight, c.waiting, c.kvUsage])).to.deep.equal([["w1", 2, 7, 0.25], ["w2", 0, 0, 0]]);
    expect(plan.decision.workerId).to.equal("w2");
    decider.finish("a");
    expect(decider.plan({ model: "m", tokenIds: prompt(3, 2) }).input.candidates[0].requestsInFlight).to.equal(1);
  });

  it("cache-aware learns a prompt only when its plan is admitted, then sends the next request sharing it there", () => {
    const { decider } = deciderFor(readyRegistry(["w1", "w2", "w3"]), "cache-aware");
    const first = decider.plan({ model: "m", tokenIds: prompt(4, 6), pinnedWorkerId: "w3" });
    expect(decider.plan({ model: "m", tokenIds: [...prompt(4, 6), 1] }).decision.workerId).to.equal("w1");
    decider.admit("a", first);
    const next = decider.plan({ model: "m", tokenIds: [...prompt(4, 6), 1] });
    expect([next.decision.workerId, next.decision.workers.map((w) => w.cost)]).to.deep.equal(["w3", [0, 0, 24]]);
  });
});
