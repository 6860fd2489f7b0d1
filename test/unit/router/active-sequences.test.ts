import { expect } from "chai";
import type { SequenceHash } from "#common/kv-hash.js";
import { ActiveSequences, STALE_SEQUENCE_MS } from "../../../services/router/src/sequences/active-sequences.js";

const h = (...n: number[]): SequenceHash[] => n.map((x) => BigInt(x) as SequenceHash);

/** A manual clock. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe("router active sequences: load lifecycle", () => {
  it("route → first token → end: blocks and prefill come and go at the right steps", () => {
    const c = clock();
    const seqs = new ActiveSequences(c.now);
    // 3 full blocks + a partial one; 40 prefill tokens left after the cached prefix.
    seqs.add({ requestId: "r1", workerId: "w1", sequenceHashes: h(1, 2, 3), totalBlocks: 4, prefillTokens: 40 });
    expect([seqs.activeBlocks("w1"), seqs.activePrefillTokens("w1")]).to.deep.equal([4, 40]);
    seqs.markFirstToken("r1");
    expect([seqs.activeBlocks("w1"), seqs.activePrefillTokens("w1")]).to.deep.equal([4, 0]);
    expect(seqs.free("r1")).to.equal(true);
    expect([seqs.activeBlocks("w1"), seqs.activePrefillTokens("w1"), seqs.activeRequests()]).to.deep.equal([0, 0, 0]);
  });

  it("cancel before the first token frees the prefill tokens too", () => {
    const seqs = new ActiveSequences(clock().now);
    seqs.add({ requestId: "r1", workerId: "w1", sequenceHashes: h(1), totalBlocks: 1, prefillTokens: 16 });
    seqs.free("r1");
    expect([seqs.activeBlocks("w1"), seqs.activePrefillTokens("w1")]).to.deep.equal([0, 0]);
    expect(seqs.free("r1")).to.equal(false);
  });

  it("ref-counts shared blocks; the partial last block is always new", () => {
    const seqs = new ActiveSequences(clock().now);
    seqs.add({ requestId: "r1", workerId: "w1", sequenceHashes: h(1, 2), totalBlocks: 3, prefillTokens: 0 });
    seqs.add({ requestId: "r2", workerId: "w1", sequenceHashes: h(1, 2), totalBlocks: 3, prefillTokens: 0 });
    seqs.add({ requestId: "r3", workerId: "w1", sequenceHashes: h(1, 5), totalBlocks: 2, prefillTokens: 0 });
    // distinct full {1,2,5} + two partial blocks
    expect(seqs.activeBlocks("w1")).to.equal(5);
    expect(seqs.newBlocksFor("w1", h(1, 2, 9), 4)).to.equal(2);
    expect(seqs.newBlocksFor("w2", h(1, 2, 9), 4)).to.equal(4);
    seqs.free("r1");
    expect(seqs.activeBlocks("w1")).to.equal(4);
    seqs.free("r2");
    seqs.free("r3");
    expect(seqs.activeBlocks("w1")).to.equal(0);
  });

  it("counts shared blocks per worker when several workers hold the same block", () => {
    const seqs = new ActiveSequences(clock().now);
    for (const [id, w] of [["a", "w1"], ["b", "w2"], ["c", "w3"], ["d", "w2"]]) {
      seqs.add({ requestId: id, workerId: w, sequenceHashes: h(1, 2), totalBlocks: 2, prefillTokens: 0 });
    }
    seqs.free("b"); // w2 still holds them through "d"
    expect(seqs.sharedBlocks(h(1, 2, 3))).to.deep.equal(new Map([["w3", 2], ["w2", 2], ["w1", 2]]));
    seqs.free("d");
    seqs.free("a");
    expect(seqs.sharedBlocks(h(1, 2, 3))).to.deep.equal(new Map([["w3", 2]]));
    expect([seqs.activeBlocks("w1"), seqs.activeBlocks("w2"), seqs.activeBlocks("w3")]).to.deep.equal([0, 0, 2]);
  });

  it("blocks already active are the longest common leading run with any request on the worker", () => {
    const seqs = new ActiveSequences(clock().now);
    seqs.add({ requestId: "a", workerId: "w1", sequenceHashes: h(1, 2, 3), totalBlocks: 3, prefillTokens: 0 });
    seqs.add({ requestId: "b", workerId: "w1", sequenceHashes: h(1, 2, 7, 8), totalBlocks: 4, prefillTokens: 0 });
    expect(seqs.activeBlocks("w1"), "{1,2,3,7,8}").to.equal(5);
    expect(seqs.sharedBlocks(h(1, 2, 3, 4))).to.deep.equal(new Map([["w1", 3]]));
    expect(seqs.sharedBlocks(h(1, 2, 7, 9))).to.deep.equal(new Map([["w1", 3]]));
    expect(seqs.newBlocksFor("w1", h(9, 1, 2), 4)).to.equal(4);
    seqs.free("a");
    expect(seqs.activeBlocks("w1"), "{1,2,7,8}").to.equal(4);
  });

  const sweepCases = [
    { name: "just before 5 minutes: kept", advance: STALE_SEQUENCE_MS - 1, touchAt: undefined, swept: [] as string[] },
    { name: "at 5 minutes: swept", advance: STALE_SEQUENCE_MS, touchAt: undefined, swept: ["r1"] },
    { name: "a touch postpones the sweep", advance: STALE_SEQUENCE_MS, touchAt: 60_000, swept: [] as string[] },
  ];
  for (const s of sweepCases) {
    it(`stale sweep: ${s.name}`, () => {
      const c = clock();
      const seqs = new ActiveSequences(c.now);
      seqs.add({ requestId: "r1", workerId: "w1", sequenceHashes: h(1), totalBlocks: 2, prefillTokens: 8 });
      if (s.touchAt !== undefined) {
        c.advance(s.touchAt);
        seqs.touch("r1");
        c.advance(s.advance - s.touchAt);
      } else c.advance(s.advance);
      expect(seqs.sweep()).to.deep.equal(s.swept);
      const gone = s.swept.length > 0;
      expect([seqs.activeBlocks("w1"), seqs.activePrefillTokens("w1")]).to.deep.equal(gone ? [0, 0] : [2, 8]);
    });
  }

  it("routing sweeps stale requests of any worker", () => {
    const c = clock();
    const seqs = new ActiveSequences(c.now);
    seqs.add({ requestId: "old", workerId: "w1", sequenceHashes: h(1), totalBlocks: 1, prefillTokens: 4 });
    c.advance(STALE_SEQUENCE_MS);
    seqs.add({ requestId: "new", workerId: "w2", sequenceHashes: h(2), totalBlocks: 1, prefillTokens: 4 });
    expect([seqs.activeBlocks("w1"), seqs.activeBlocks("w2"), seqs.activeRequests()]).to.deep.equal([0, 1, 1]);
  });

  it("removeWorker frees its requests only", () => {
    const seqs = new ActiveSequences(clock().now);
    seqs.add({ requestId: "a", workerId: "w1", sequenceHashes: h(1), totalBlocks: 1, prefillTokens: 4 });
    seqs.add({ requestId: "b", workerId: "w2", sequenceHashes: h(1), totalBlocks: 1, prefillTokens: 4 });
    seqs.removeWorker("w1");
    expect([seqs.activeBlocks("w1"), seqs.activeBlocks("w2"), seqs.activeRequests()]).to.deep.equal([0, 1, 1]);
  });
});
