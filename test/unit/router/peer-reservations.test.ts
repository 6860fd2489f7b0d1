import { expect } from "chai";
import type { SequenceHash } from "#common/kv-hash.js";
import type { Reservation, ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import { PeerReservations } from "../../../services/router/src/replicas/peer-reservations.js";
import { ActiveSequences } from "../../../services/router/src/sequences/active-sequences.js";

const h = (...n: number[]): SequenceHash[] => n.map((x) => BigInt(x) as SequenceHash);
const TTL = 1000;

function reservation(requestId: string, workerId: string, hashes: SequenceHash[], prefillTokens: number, totalBlocks = hashes.length + 1): Reservation {
  return { requestId, model: "m", workerId, sequenceHashes: hashes, totalBlocks, prefillTokens };
}

function update(replicaId: string, part: Partial<ReservationUpdate>, epoch = 1n): ReservationUpdate {
  return { replicaId, epoch, snapshot: false, upserts: [], released: [], samples: [], ...part };
}

/** A tracker, a peer table over it for replica "me", and a manual clock. */
function setup() {
  let t = 0;
  const sequences = new ActiveSequences(() => t);
  const peers = new PeerReservations("me", sequences, TTL, () => t);
  return { sequences, peers, advance: (ms: number) => void (t += ms) };
}

describe("router replicas: peer reservations", () => {
  it("a peer's admission counts in the load view; its first token drops the prefill; its release frees it", () => {
    const { sequences, peers } = setup();
    peers.apply(update("b", { upserts: [reservation("r1", "w1", h(1, 2), 100)] }));
    expect([sequences.activeBlocks("w1"), sequences.activePrefillTokens("w1"), sequences.requestsInFlight("w1")]).to.deep.equal([3, 100, 1]);
    peers.apply(update("b", { upserts: [reservation("r1", "w1", h(1, 2), 0)] }));
    expect([sequences.activeBlocks("w1"), sequences.activePrefillTokens("w1")]).to.deep.equal([3, 0]);
    peers.apply(update("b", { released: ["r1"] }));
    expect([sequences.activeBlocks("w1"), sequences.activeRequests()]).to.deep.equal([0, 0]);
  });

  it("ignores this replica's own updates (NATS echoes them): never counted twice", () => {
    const { sequences, peers } = setup();
    sequences.add({ requestId: "r1", workerId: "w1", sequenceHashes: h(1), totalBlocks: 2, prefillTokens: 50 });
    expect(peers.apply(update("me", { upserts: [reservation("r1", "w1", h(1), 50)] }))).to.equal(false);
    expect([sequences.activePrefillTokens("w1"), sequences.requestsInFlight("w1")]).to.deep.equal([50, 1]);
  });

  it("the same request id from two peers and from this replica stays three reservations", () => {
    const { sequences, peers } = setup();
    sequences.add({ requestId: "r1", workerId: "w1", sequenceHashes: h(1), totalBlocks: 1, prefillTokens: 10 });
    peers.apply(update("b", { upserts: [reservation("r1", "w1", h(1), 20, 1)] }));
    peers.apply(update("c", { upserts: [reservation("r1", "w1", h(1), 30, 1)] }));
    expect([sequences.activePrefillTokens("w1"), sequences.requestsInFlight("w1")]).to.deep.equal([60, 3]);
    // Shared prefix across own and peer requests: block 1 counts once.
    expect(sequences.activeBlocks("w1")).to.equal(1);
    peers.apply(update("b", { released: ["r1"] }));
    expect([sequences.activePrefillTokens("w1"), sequences.requestsInFlight("w1")]).to.deep.equal([40, 2]);
  });

  it("a repeated upsert refreshes instead of adding again", () => {
    const { sequences, peers } = setup();
    const r = reservation("r1", "w1", h(1, 2), 64);
    peers.apply(update("b", { upserts: [r] }));
    peers.apply(update("b", { upserts: [r] }));
    expect([sequences.activePrefillTokens("w1"), sequences.requestsInFlight("w1")]).to.deep.equal([64, 1]);
  });

  it("TTL: alive at exactly the TTL since the last refresh, expired 1 ms later", () => {
    const { sequences, peers, advance } = setup();
    peers.apply(update("b", { upserts: [reservation("r1", "w1", h(1), 10)] }));
    advance(TTL);
    expect(peers.expire()).to.equal(0);
    expect(sequences.requestsInFlight("w1")).to.equal(1);
    advance(1);
    expect(peers.expire()).to.equal(1);
    expect([sequences.requestsInFlight("w1"), sequences.activeBlocks("w1")]).to.deep.equal([0, 0]);
    expect(peers.counts().size).to.equal(0);
  });

  it("a refresh (snapshot) restarts the TTL of what it names", () => {
    const { sequences, peers, advance } = setup();
    const r = reservation("r1", "w1", h(1), 10);
    peers.apply(update("b", { upserts: [r] }));
    advance(TTL - 1);
    peers.apply(update("b", { upserts: [r] }));
    advance(TTL);
    expect(peers.expire()).to.equal(0);
    advance(1);
    expect(peers.expire()).to.equal(1);
    expect(sequences.activeRequests()).to.equal(0);
  });

  it("a snapshot replaces the peer's set: what it no longer names is released", () => {
    const { sequences, peers } = setup();
    peers.apply(update("b", { upserts: [reservation("r1", "w1", h(1), 10), reservation("r2", "w2", h(2), 10)] }));
    peers.apply(update("b", { snapshot: true, upserts: [reservation("r2", "w2", h(2), 10)] }));
    expect([sequences.requestsInFlight("w1"), sequences.requestsInFlight("w2")]).to.deep.equal([0, 1]);
    expect(peers.counts().get("b")).to.equal(1);
  });

  it("a restarted peer (new epoch) replaces its old set, even in a delta", () => {
    const { sequences, peers } = setup();
    peers.apply(update("b", { upserts: [reservation("r1", "w1", h(1), 10)] }, 1n));
    peers.apply(update("b", { upserts: [reservation("r9", "w2", h(9), 5)] }, 2n));
    expect([sequences.requestsInFlight("w1"), sequences.requestsInFlight("w2")]).to.deep.equal([0, 1]);
  });

  it("one peer's snapshot leaves another peer's reservations alone", () => {
    const { sequences, peers } = setup();
    peers.apply(update("b", { upserts: [reservation("r1", "w1", h(1), 10)] }));
    peers.apply(update("c", { upserts: [reservation("r1", "w1", h(1), 10)] }));
    peers.apply(update("c", { snapshot: true }));
    expect(sequences.requestsInFlight("w1")).to.equal(1);
    expect([...peers.counts()]).to.deep.equal([["b", 1], ["c", 0]]);
  });

  it("clear() releases every peer reservation; own ones stay", () => {
    const { sequences, peers } = setup();
    sequences.add({ requestId: "own", workerId: "w1", sequenceHashes: h(1), totalBlocks: 1, prefillTokens: 0 });
    peers.apply(update("b", { upserts: [reservation("r1", "w1", h(1), 10)] }));
    peers.clear();
    expect(sequences.requestsInFlight("w1")).to.equal(1);
  });

  it("a reservation the tracker dropped (its worker left and came back) is counted again on the next refresh", () => {
    const { sequences, peers } = setup();
    const r = reservation("r1", "w1", h(1, 2), 0);
    peers.apply(update("b", { upserts: [r] }));
    sequences.removeWorker("w1");
    expect(sequences.requestsInFlight("w1")).to.equal(0);
    peers.apply(update("b", { upserts: [r] }));
    expect([sequences.requestsInFlight("w1"), sequences.activeBlocks("w1")]).to.deep.equal([1, 3]);
  });
});
