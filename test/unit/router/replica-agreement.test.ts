import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import type { DecisionSample, ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import { DecisionSampler } from "../../../services/router/src/replicas/decision-sampler.js";
import { OwnReservations } from "../../../services/router/src/replicas/own-reservations.js";
import { PeerReservations } from "../../../services/router/src/replicas/peer-reservations.js";
import { AGREEMENT_WINDOW, ReplicaAgreement } from "../../../services/router/src/replicas/replica-agreement.js";
import { deciderFor, readyRegistry } from "./router-fakes.js";

const BS = 4;
const prompt = (seed: number, blocks: number): number[] => Array.from({ length: blocks * BS }, (_, i) => seed * 1000 + i);

function sampleOf(tokens: number[], workerId: string, blockSize = BS, model = "m"): DecisionSample {
  const h = hashBlocks(tokens, blockSize);
  return { model, isl: tokens.length, blockSize, localHashes: h.local, sequenceHashes: h.sequence, workerId };
}

function cache(index: ReturnType<typeof deciderFor>["index"], workerId: string, tokens: number[]): void {
  const h = hashBlocks(tokens, BS);
  index.applyEvents(workerId, [{ eventId: 1n, data: { $case: "stored", stored: { blocks: h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] })) } } }]);
}

/** Replica B's decider (workers w1, w2; w2 caches prompt 1) and its agreement tracker. */
function replicaB() {
  const registry = readyRegistry(["w1", "w2"]);
  const parts = deciderFor(registry);
  cache(parts.index, "w2", prompt(1, 4));
  const agreement = new ReplicaAgreement(parts.decider, registry);
  return { ...parts, agreement };
}

describe("router replicas: decision agreement", () => {
  it("re-decides a sample with this replica's state: same worker agrees, another disagrees", () => {
    const { agreement } = replicaB();
    expect(agreement.share()).to.equal(undefined);
    expect(agreement.judge(sampleOf(prompt(1, 4), "w2"))).to.equal("agree");
    expect(agreement.judge(sampleOf(prompt(1, 4), "w1"))).to.equal("disagree");
    expect(agreement.share()).to.equal(0.5);
    expect(agreement.counts()).to.deep.equal({ agree: 1, disagree: 1, skipped: 0 });
  });

  it("re-deciding admits nothing (the load view is unchanged)", () => {
    const { agreement, sequences } = replicaB();
    agreement.judge(sampleOf(prompt(1, 4), "w2"));
    expect(sequences.activeRequests()).to.equal(0);
  });

  const skips: { name: string; sample: DecisionSample }[] = [
    { name: "an unknown model", sample: sampleOf(prompt(1, 4), "w2", BS, "other") },
    { name: "a worker unknown here", sample: sampleOf(prompt(1, 4), "w9") },
    { name: "another block size", sample: sampleOf(prompt(1, 4), "w2", 8) },
    { name: "block size 0", sample: { ...sampleOf(prompt(1, 4), "w2"), blockSize: 0 } },
    { name: "hash lists of different lengths", sample: { ...sampleOf(prompt(1, 4), "w2"), sequenceHashes: [] } },
  ];
  for (const { name, sample } of skips) {
    it(`skips ${name}, counted apart and not in the share`, () => {
      const { agreement } = replicaB();
      expect(agreement.judge(sample)).to.equal("skipped");
      expect(agreement.share()).to.equal(undefined);
      expect(agreement.counts().skipped).to.equal(1);
    });
  }

  it(`the share is over the last ${AGREEMENT_WINDOW} judged samples only`, () => {
    const { agreement } = replicaB();
    for (let i = 0; i < AGREEMENT_WINDOW; i++) agreement.judge(sampleOf(prompt(1, 4), "w1"));
    expect(agreement.share()).to.equal(0);
    agreement.judge(sampleOf(prompt(1, 4), "w2"));
    expect(agreement.share()).to.equal(1 / AGREEMENT_WINDOW);
    for (let i = 0; i < AGREEMENT_WINDOW - 1; i++) agreement.judge(sampleOf(prompt(1, 4), "w2"));
    expect(agreement.share()).to.equal(1);
  });
});

describe("router replicas: two deciders sharing reservations", () => {
  /** Two replicas over the same workers and the same cached prefix; A's updates feed B's tracker. */
  function pair(shared: boolean) {
    const a = deciderFor(readyRegistry(["w1", "w2"]));
    const b = deciderFor(readyRegistry(["w1", "w2"]));
    for (const r of [a, b]) cache(r.index, "w1", prompt(1, 8));
    const own = new OwnReservations("a", 1n, new DecisionSampler({ every: 1, now: () => 0 }));
    const peers = new PeerReservations("b", b.sequences, 10_000, () => 0);
    const updates: ReservationUpdate[] = [];
    if (shared) own.addSink((u) => updates.push(u) && peers.apply(u));
    return { a, b, own, updates };
  }

  for (const shared of [true, false]) {
    it(`sharing ${shared ? "on: B sees A's in-flight prefill and spreads" : "off: B herds onto the warm worker"}`, () => {
      const { a, b, own } = pair(shared);
      // A sends four long requests with the shared prefix: all to warm w1 at first, then load spreads.
      for (let i = 0; i < 4; i++) {
        const plan = a.decider.plan({ model: "m", tokenIds: [...prompt(1, 8), ...prompt(100 + i, 24)] });
        a.decider.admit(`r${i}`, plan);
        own.admitted(`r${i}`, plan);
      }
      expect(b.sequences.requestsInFlight("w1") + b.sequences.requestsInFlight("w2")).to.equal(shared ? 4 : 0);
      // The next request's costs as each replica sees them: with sharing B's view is A's.
      const next = [...prompt(1, 8), ...prompt(200, 24)];
      const costs = (r: typeof a) => r.decider.plan({ model: "m", tokenIds: next }).decision.workers.map((w) => [w.workerId, w.cost]);
      if (shared) expect(costs(b)).to.deep.equal(costs(a));
      else expect(costs(b)).to.not.deep.equal(costs(a));
      // Without sharing B thinks both workers idle: the warm w1 is the cheapest by far.
      if (!shared) expect(b.decider.plan({ model: "m", tokenIds: next }).decision.workerId).to.equal("w1");
    });
  }
});
