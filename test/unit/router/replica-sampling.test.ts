import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import type { ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import { DecisionSampler } from "../../../services/router/src/replicas/decision-sampler.js";
import { OwnReservations } from "../../../services/router/src/replicas/own-reservations.js";
import { deciderFor, readyRegistry } from "./router-fakes.js";

const BS = 4;
const prompt = (seed: number, blocks: number, extra = 0): number[] => Array.from({ length: blocks * BS + extra }, (_, i) => seed * 1000 + i);

/** A decider for two workers whose admissions feed an OwnReservations; every update recorded. */
function setup(every = 16, maxPerSecond?: number) {
  let t = 0;
  const sampler = new DecisionSampler({ every, maxPerSecond, now: () => t });
  const own = new OwnReservations("a", 7n, sampler);
  const sent: ReservationUpdate[] = [];
  own.addSink((u) => sent.push(u));
  const { decider } = deciderFor(readyRegistry(["w1", "w2"]));
  const admit = (id: string, tokens: number[]) => {
    const plan = decider.plan({ model: "m", tokenIds: tokens });
    own.admitted(id, plan);
    return plan;
  };
  return { own, sent, admit, decider, advance: (ms: number) => void (t += ms) };
}

describe("router replicas: own reservations and decision sampling", () => {
  it("admission, first token and finish each publish one update naming the replica and epoch", () => {
    const { own, sent, admit } = setup();
    const plan = admit("r1", prompt(1, 3, 2));
    own.firstToken("r1");
    own.firstToken("r1");
    own.finished("r1");
    own.finished("r1");
    expect(sent).to.have.length(3);
    expect(sent.every((u) => u.replicaId === "a" && u.epoch === 7n && !u.snapshot)).to.equal(true);
    expect(sent[0].upserts[0]).to.deep.include({ requestId: "r1", workerId: plan.decision.workerId, totalBlocks: 4, prefillTokens: 14 });
    expect(sent[0].upserts[0].sequenceHashes).to.deep.equal(hashBlocks(prompt(1, 3, 2), BS).sequence);
    expect(sent[1].upserts[0]).to.deep.include({ requestId: "r1", prefillTokens: 0 });
    expect(sent[1].upserts[0].sequenceHashes).to.have.length(3);
    expect(sent[2].released).to.deep.equal(["r1"]);
    expect(own.size()).to.equal(0);
  });

  it("a snapshot names every live reservation and replaces; refresh sends it to every sink", () => {
    const { own, sent, admit } = setup();
    admit("r1", prompt(1, 2));
    admit("r2", prompt(2, 2));
    own.finished("r1");
    const [snap, ...rest] = own.snapshot();
    expect(rest).to.have.length(0);
    expect(snap.snapshot).to.equal(true);
    expect(snap.upserts.map((r) => r.requestId)).to.deep.equal(["r2"]);
    sent.length = 0;
    own.refresh();
    expect(sent).to.have.length(1);
    expect(sent[0].snapshot).to.equal(true);
  });

  it("samples the 1st, 17th, 33rd... decision with its block hashes and chosen worker (1 in 16)", () => {
    const { sent, admit } = setup(16);
    const plans = Array.from({ length: 40 }, (_, i) => admit(`r${i}`, prompt(i + 1, 2, 1)));
    const sampledAt = sent.flatMap((u, i) => (u.samples.length > 0 ? [i] : []));
    expect(sampledAt).to.deep.equal([0, 16, 32]);
    const sample = sent[16].samples[0];
    const hashes = hashBlocks(prompt(17, 2, 1), BS);
    expect(sample).to.deep.equal({
      model: "m", isl: 9, blockSize: BS, localHashes: hashes.local, sequenceHashes: hashes.sequence, workerId: plans[16].decision.workerId,
    });
  });

  it("every 1 samples each decision; the per-second cap bounds them (cap, not cap + 1), a new second resets it", () => {
    const { sent, admit, advance } = setup(1, 3);
    for (let i = 0; i < 5; i++) admit(`r${i}`, prompt(i + 1, 1));
    expect(sent.filter((u) => u.samples.length > 0)).to.have.length(3);
    advance(999);
    admit("r5", prompt(6, 1));
    expect(sent.filter((u) => u.samples.length > 0)).to.have.length(3);
    advance(1);
    admit("r6", prompt(7, 1));
    expect(sent.filter((u) => u.samples.length > 0)).to.have.length(4);
  });

  it("a sampler with every < 1 samples each decision (clamped to 1)", () => {
    const { sent, admit } = setup(0);
    admit("r1", prompt(1, 1));
    admit("r2", prompt(2, 1));
    expect(sent.filter((u) => u.samples.length > 0)).to.have.length(2);
  });

  it("a large snapshot is split: the first message replaces, the rest add; each within the hash budget", () => {
    const { own, admit } = setup();
    for (let i = 0; i < 5; i++) admit(`r${i}`, prompt(i + 1, 3));
    expect(own.snapshot(6).map((u) => [u.snapshot, u.upserts.map((r) => r.requestId)])).to.deep.equal([
      [true, ["r0", "r1"]], [false, ["r2", "r3"]], [false, ["r4"]],
    ]);
    // A budget one short of two reservations' hashes puts each alone; a reservation larger than the budget still travels.
    expect(own.snapshot(5).map((u) => u.upserts.length)).to.deep.equal([1, 1, 1, 1, 1]);
    expect(own.snapshot(1).map((u) => u.upserts.length)).to.deep.equal([1, 1, 1, 1, 1]);
    // Empty: one (empty) snapshot, so peers still drop what they held.
    for (let i = 0; i < 5; i++) own.finished(`r${i}`);
    expect(own.snapshot().map((u) => [u.snapshot, u.upserts.length])).to.deep.equal([[true, 0]]);
  });
});
