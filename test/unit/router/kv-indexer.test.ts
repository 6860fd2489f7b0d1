import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import type { BlockHashes } from "#common/kv-hash.js";
import { KvIndexer } from "../../../services/router/src/indexer/kv-indexer.js";
import type { ApplyResult, KvEventData } from "../../../services/router/src/indexer/types.js";

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
  batches: { epoch: number; events: KvEventData[] }[];
  last: Partial<ApplyResult>;
  blocks: string[];
  epoch: number;
  lastEventId: number;
}

const cases: Case[] = [
  { name: "stored from the root indexes every block", batches: [{ epoch: 1, events: [stored(1, "AB")] }], last: { applied: 1, blocksStored: 2 }, blocks: ["A", "AB"], epoch: 1, lastEventId: 1 },
  { name: "stored below a known parent extends the chain", batches: [{ epoch: 1, events: [stored(1, "A"), stored(2, "AB", 1)] }], last: { applied: 2, blocksStored: 2 }, blocks: ["A", "AB"], epoch: 1, lastEventId: 2 },
  { name: "a duplicate store is a no-op", batches: [{ epoch: 1, events: [stored(1, "AB"), stored(2, "AB")] }], last: { applied: 2, duplicate: 1, blocksStored: 2 }, blocks: ["A", "AB"], epoch: 1, lastEventId: 2 },
  { name: "removed drops the named blocks", batches: [{ epoch: 1, events: [stored(1, "AB"), removed(2, seq("AB"))] }], last: { applied: 2, blocksRemoved: 1 }, blocks: ["A"], epoch: 1, lastEventId: 2 },
  { name: "removed of an unknown block is ignored", batches: [{ epoch: 1, events: [stored(1, "A"), removed(2, seq("Z"))] }], last: { applied: 2, blocksRemoved: 0 }, blocks: ["A"], epoch: 1, lastEventId: 2 },
  { name: "cleared drops every block of the worker", batches: [{ epoch: 1, events: [stored(1, "AB"), cleared(2)] }], last: { applied: 2, blocksRemoved: 2 }, blocks: [], epoch: 1, lastEventId: 2 },
  { name: "an unknown parent asks for a resync and applies nothing", batches: [{ epoch: 1, events: [stored(1, "AB", 1)] }], last: { applied: 0, resync: "unknown-parent" }, blocks: [], epoch: 1, lastEventId: 0 },
  { name: "an event-id gap asks for a resync and applies nothing", batches: [{ epoch: 1, events: [stored(2, "A")] }], last: { applied: 0, resync: "gap" }, blocks: [], epoch: 1, lastEventId: 0 },
  { name: "a gap mid-batch keeps what came before it", batches: [{ epoch: 1, events: [stored(1, "A"), stored(3, "AB", 1)] }], last: { applied: 1, resync: "gap" }, blocks: ["A"], epoch: 1, lastEventId: 1 },
  { name: "already applied ids are skipped as replays", batches: [{ epoch: 1, events: [stored(1, "A")] }, { epoch: 1, events: [stored(1, "A"), stored(2, "AB", 1)] }], last: { applied: 1, replayed: 1, blocksStored: 1 }, blocks: ["A", "AB"], epoch: 1, lastEventId: 2 },
  { name: "a newer epoch drops the old epoch's blocks first", batches: [{ epoch: 1, events: [stored(1, "AB")] }, { epoch: 2, events: [stored(1, "C")] }], last: { applied: 1, blocksRemoved: 2, blocksStored: 1 }, blocks: ["C"], epoch: 2, lastEventId: 1 },
  { name: "an older epoch is rejected", batches: [{ epoch: 2, events: [stored(1, "A")] }, { epoch: 1, events: [stored(2, "AB", 1)] }], last: { applied: 0, staleEpoch: 1 }, blocks: ["A"], epoch: 2, lastEventId: 1 },
];

describe("router KV indexer: event rules", () => {
  for (const c of cases) {
    it(c.name, () => {
      const index = new KvIndexer();
      let last: ApplyResult | undefined;
      for (const b of c.batches) last = index.applyBatch({ workerId: "w1", epoch: BigInt(b.epoch), events: b.events });
      expect(last).to.include(c.last);
      if (c.last.resync === undefined) expect(last?.resync).to.equal(undefined);
      expect(index.dump()).to.deep.equal([
        { workerId: "w1", epoch: BigInt(c.epoch), lastEventId: BigInt(c.lastEventId), sequenceHashes: sortHashes(c.blocks.map(seq)) },
      ]);
      expect(index.blockCount("w1")).to.equal(c.blocks.length);
    });
  }

  it("cleared leaves other workers' blocks alone", () => {
    const index = new KvIndexer();
    index.applyBatch({ workerId: "w1", epoch: 1n, events: [stored(1, "AB")] });
    index.applyBatch({ workerId: "w2", epoch: 1n, events: [stored(1, "AB"), cleared(2)] });
    expect([index.blockCount("w1"), index.blockCount("w2")]).to.deep.equal([2, 0]);
    expect(index.findMatches(chain("AB").local)).to.deep.equal(new Map([["w1", 2]]));
  });
});

describe("router KV indexer: load reports, resync, removal", () => {
  const loadCases: { name: string; epoch: bigint; lastEventId: bigint; expected: string | undefined; blocksAfter: number }[] = [
    { name: "caught up", epoch: 5n, lastEventId: 1n, expected: undefined, blocksAfter: 2 },
    { name: "events lost with none following", epoch: 5n, lastEventId: 3n, expected: "gap", blocksAfter: 2 },
    { name: "an older epoch is ignored", epoch: 4n, lastEventId: 9n, expected: undefined, blocksAfter: 2 },
    { name: "a newer epoch with no events drops the old blocks", epoch: 6n, lastEventId: 0n, expected: undefined, blocksAfter: 0 },
    { name: "a newer epoch with events asks for a resync", epoch: 6n, lastEventId: 2n, expected: "gap", blocksAfter: 0 },
  ];
  for (const c of loadCases) {
    it(`observeLoad: ${c.name}`, () => {
      const index = new KvIndexer();
      index.applyBatch({ workerId: "w1", epoch: 5n, events: [stored(1, "AB")] });
      expect(index.observeLoad("w1", c.epoch, c.lastEventId)).to.equal(c.expected);
      expect(index.blockCount("w1")).to.equal(c.blocksAfter);
    });
  }

  it("observeLoad of a never-seen worker with events asks for a resync", () => {
    expect(new KvIndexer().observeLoad("w9", 1n, 4n)).to.equal("gap");
  });

  it("resetWorker rebuilds from a dump and the stream continues after its last id", () => {
    const index = new KvIndexer();
    index.applyBatch({ workerId: "w1", epoch: 1n, events: [stored(1, "XY")] });
    const result = index.resetWorker("w1", { epoch: 2n, lastEventId: 7n, events: [stored(0, "AB"), stored(0, "AC", 1)] });
    expect(result).to.include({ applied: 2, blocksStored: 3, blocksRemoved: 2 });
    expect(index.dump()[0]).to.deep.equal({ workerId: "w1", epoch: 2n, lastEventId: 7n, sequenceHashes: sortHashes(["A", "AB", "AC"].map(seq)) });
    expect(index.applyBatch({ workerId: "w1", epoch: 2n, events: [stored(7, "AB"), removed(8, seq("AC"))] })).to.include({ replayed: 1, applied: 1 });
    expect(index.blockCount("w1")).to.equal(2);
  });

  it("removeWorker forgets the worker and prunes the tree", () => {
    const index = new KvIndexer();
    index.applyBatch({ workerId: "w1", epoch: 1n, events: [stored(1, "ABC")] });
    index.applyBatch({ workerId: "w2", epoch: 1n, events: [stored(1, "AD")] });
    expect(index.nodeCount()).to.equal(4);
    index.removeWorker("w1");
    expect(index.dump().map((d) => d.workerId)).to.deep.equal(["w2"]);
    expect(index.nodeCount()).to.equal(2);
    index.removeWorker("w2");
    expect(index.nodeCount()).to.equal(0);
  });
});

describe("router KV indexer: findMatches", () => {
  it("counts only contiguous leading blocks per worker", () => {
    const index = new KvIndexer();
    index.applyBatch({ workerId: "w1", epoch: 1n, events: [stored(1, "ABC")] });
    // w2 evicted its middle block: only A leads.
    index.applyBatch({ workerId: "w2", epoch: 1n, events: [stored(1, "ABC"), removed(2, seq("AB"))] });
    index.applyBatch({ workerId: "w3", epoch: 1n, events: [stored(1, "AX")] });
    expect(index.findMatches(chain("ABCD").local)).to.deep.equal(new Map([["w1", 3], ["w2", 1], ["w3", 1]]));
    expect(index.findMatches(chain("Q").local).size).to.equal(0);
  });

  it("matches by position: a block's tokens under another prefix do not count", () => {
    const index = new KvIndexer();
    index.applyBatch({ workerId: "w1", epoch: 1n, events: [stored(1, "AB")] });
    expect(index.findMatches(chain("BA").local).size).to.equal(0);
  });
});
