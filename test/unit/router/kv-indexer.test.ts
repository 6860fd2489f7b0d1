import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import type { BlockHashes } from "#common/kv-hash.js";
import { KvIndexer } from "../../../services/router/src/indexer/kv-indexer.js";
import type { IndexResult, KvEventData } from "../../../services/router/src/indexer/types.js";

const BS = 4;
/** Each letter is one full block of distinct tokens. */
const letters = (word: string): number[] =>
  [...word].flatMap((ch) => Array.from({ length: BS }, (_, i) => ch.charCodeAt(0) * 16 + i));
const chain = (word: string): BlockHashes => hashBlocks(letters(word), BS);
const sortHashes = (h: bigint[]): bigint[] => [...h].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** A stored event for blocks [from, word.length) of `word`'s chain, parented on block from−1. */
function stored(eventId: number, word: string, from = 0): KvEventData {
  const h = chain(word);
  const blocks = h.local.slice(from).map((localHash, i) => ({ localHash, sequenceHash: h.sequence[from + i] }));
  return { eventId: BigInt(eventId), data: { $case: "stored", stored: { parentSequenceHash: from === 0 ? undefined : h.sequence[from - 1], blocks } } };
}
function removed(eventId: number, ...hashes: bigint[]): KvEventData {
  return { eventId: BigInt(eventId), data: { $case: "removed", removed: { sequenceHashes: hashes } } };
}
const cleared = (eventId: number): KvEventData => ({ eventId: BigInt(eventId), data: { $case: "cleared", cleared: {} } });
/** Sequence hash of the last block of `word`. */
const seq = (word: string): bigint => chain(word).sequence[word.length - 1];

interface Case {
  name: string;
  events: KvEventData[];
  result: Partial<IndexResult>;
  blocks: string[];
}

// Ids and epochs are the feed's business (kv-event-order.test.ts): the index applies what it is given.
const cases: Case[] = [
  { name: "stored from the root indexes every block", events: [stored(1, "AB")], result: { applied: 1, blocksStored: 2 }, blocks: ["A", "AB"] },
  { name: "stored below a known parent extends the chain", events: [stored(1, "A"), stored(2, "AB", 1)], result: { applied: 2, blocksStored: 2 }, blocks: ["A", "AB"] },
  { name: "a duplicate store is a no-op", events: [stored(1, "AB"), stored(2, "AB")], result: { applied: 2, duplicate: 1, blocksStored: 2 }, blocks: ["A", "AB"] },
  { name: "removed drops the named blocks", events: [stored(1, "AB"), removed(2, seq("AB"))], result: { applied: 2, blocksRemoved: 1 }, blocks: ["A"] },
  { name: "removed of an unknown block is ignored", events: [stored(1, "A"), removed(2, seq("Z"))], result: { applied: 2, blocksRemoved: 0 }, blocks: ["A"] },
  { name: "cleared drops every block of the worker", events: [stored(1, "AB"), cleared(2)], result: { applied: 2, blocksRemoved: 2 }, blocks: [] },
  { name: "an unknown parent applies nothing and says so", events: [stored(1, "AB", 1)], result: { applied: 0, blocksStored: 0, unknownParent: true }, blocks: [] },
  { name: "an unknown parent mid-batch keeps what came before it", events: [stored(1, "A"), stored(2, "XY", 1), stored(3, "B")], result: { applied: 1, blocksStored: 1, unknownParent: true }, blocks: ["A"] },
];

const blocksOf = (index: KvIndexer, workerId: string): bigint[] => index.dump().find((d) => d.workerId === workerId)?.sequenceHashes ?? [];

describe("router KV indexer: event rules", () => {
  for (const c of cases) {
    it(c.name, () => {
      const index = new KvIndexer();
      const result = index.applyEvents("w1", c.events);
      expect(result).to.include({ unknownParent: false, ...c.result });
      expect(blocksOf(index, "w1")).to.deep.equal(sortHashes(c.blocks.map(seq)));
      expect(index.blockCount("w1")).to.equal(c.blocks.length);
      expect(index.streamOf("w1"), "the index records no position of its own").to.equal(undefined);
    });
  }

  it("cleared leaves other workers' blocks alone", () => {
    const index = new KvIndexer();
    index.applyEvents("w1", [stored(1, "AB")]);
    index.applyEvents("w2", [stored(1, "AB"), cleared(2)]);
    expect([index.blockCount("w1"), index.blockCount("w2")]).to.deep.equal([2, 0]);
    expect(index.findMatches(chain("AB").local)).to.deep.equal(new Map([["w1", 2]]));
  });
});

describe("router KV indexer: resync, positions, removal", () => {
  it("resetWorker rebuilds from a dump and records the dump's position", () => {
    const index = new KvIndexer();
    index.applyEvents("w1", [stored(1, "XY")]);
    const result = index.resetWorker("w1", { epoch: 2n, lastEventId: 7n, events: [stored(0, "AB"), stored(0, "AC", 1)] });
    expect(result).to.include({ applied: 2, blocksStored: 3, blocksRemoved: 2, unknownParent: false });
    expect(index.dump()[0]).to.deep.equal({ workerId: "w1", epoch: 2n, lastEventId: 7n, sequenceHashes: sortHashes(["A", "AB", "AC"].map(seq)) });
    expect(index.streamOf("w1")).to.deep.equal({ epoch: 2n, lastEventId: 7n });
  });

  it("setPosition is what DumpIndex reports; a worker without one reports epoch and id 0", () => {
    const index = new KvIndexer();
    index.applyEvents("w1", [stored(1, "A")]);
    index.applyEvents("w2", [stored(1, "B")]);
    index.setPosition("w2", { epoch: 3n, lastEventId: 9n });
    expect(index.dump().map(({ workerId, epoch, lastEventId }) => ({ workerId, epoch, lastEventId }))).to.deep.equal([
      { workerId: "w1", epoch: 0n, lastEventId: 0n },
      { workerId: "w2", epoch: 3n, lastEventId: 9n },
    ]);
  });

  it("removeWorker forgets the worker and prunes the tree", () => {
    const index = new KvIndexer();
    index.applyEvents("w1", [stored(1, "ABC")]);
    index.setPosition("w1", { epoch: 1n, lastEventId: 1n });
    index.applyEvents("w2", [stored(1, "AD")]);
    expect(index.nodeCount()).to.equal(4);
    index.removeWorker("w1");
    expect(index.dump().map((d) => d.workerId)).to.deep.equal(["w2"]);
    expect(index.streamOf("w1")).to.equal(undefined);
    expect(index.nodeCount()).to.equal(2);
    index.removeWorker("w2");
    expect(index.nodeCount()).to.equal(0);
  });
});

describe("router KV indexer: findMatches", () => {
  it("counts only contiguous leading blocks per worker", () => {
    const index = new KvIndexer();
    index.applyEvents("w1", [stored(1, "ABC")]);
    // w2 evicted its middle block: only A leads.
    index.applyEvents("w2", [stored(1, "ABC"), removed(2, seq("AB"))]);
    index.applyEvents("w3", [stored(1, "AX")]);
    expect(index.findMatches(chain("ABCD").local)).to.deep.equal(new Map([["w1", 3], ["w2", 1], ["w3", 1]]));
    expect(index.findMatches(chain("Q").local).size).to.equal(0);
  });

  it("matches by position: a block's tokens under another prefix do not count", () => {
    const index = new KvIndexer();
    index.applyEvents("w1", [stored(1, "AB")]);
    expect(index.findMatches(chain("BA").local).size).to.equal(0);
  });
});
