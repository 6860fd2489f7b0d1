import { expect } from "chai";
import { ApproxIndexer } from "../../../services/router/src/indexer/approx-indexer.js";
import { KvIndexer } from "../../../services/router/src/indexer/kv-indexer.js";
import type { OverlapIndex } from "../../../services/router/src/indexer/types.js";
import { createSelector } from "../../../services/router/src/scheduling/selector.js";
import type { RouteDecision } from "../../../services/router/src/scheduling/selector.js";
import { admitDecision, buildCandidates, routeRequestBlocks } from "../../../services/router/src/scheduling/route-plan.js";
import type { RouteRequestBlocks } from "../../../services/router/src/scheduling/route-plan.js";
import { ActiveSequences } from "../../../services/router/src/sequences/active-sequences.js";

const BS = 4;
/** Each letter one full block of distinct tokens. */
const tokens = (word: string): number[] =>
  [...word].flatMap((ch) => Array.from({ length: BS }, (_, i) => ch.charCodeAt(0) * 16 + i));
const WORKERS = [{ workerId: "w1" }, { workerId: "w2" }];

/** Decide (pure) for `word` against the index and load. */
function decide(index: OverlapIndex, seqs: ActiveSequences, req: RouteRequestBlocks, pinned?: string): RouteDecision {
  const candidates = buildCandidates(WORKERS, req, index, seqs, undefined);
  return createSelector("kv").selectWorker({ isl: req.isl, blockSize: BS, overlapWeight: 1, requestBlocks: req.requestBlocks, candidates, pinnedWorkerId: pinned });
}

/** The two ways an index learns of cached prefixes: worker events, or recorded decisions. */
const modes: { name: string; force: (index: OverlapIndex, word: string, worker: string) => void; make: () => OverlapIndex }[] = [
  {
    name: "KV events",
    make: () => new KvIndexer(),
    force: (index, word, worker) => {
      const kv = index as KvIndexer;
      const h = routeRequestBlocks(tokens(word), BS).hashes;
      const held = kv.dump().find((d) => d.workerId === worker);
      const blocks = h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] }));
      // The worker reports only the blocks it did not hold, parented on the prefix it had.
      let from = 0;
      while (from < blocks.length && held?.sequenceHashes.includes(h.sequence[from])) from++;
      const result = kv.applyEvents(worker, [
        { eventId: 1n, data: { $case: "stored", stored: { parentSequenceHash: from === 0 ? undefined : h.sequence[from - 1], blocks: blocks.slice(from) } } },
      ]);
      expect(result.unknownParent).to.equal(false);
    },
  },
  {
    name: "approximate (--kv-events none)",
    make: () => new ApproxIndexer(() => 0),
    force: (index, word, worker) => (index as ApproxIndexer).record(worker, routeRequestBlocks(tokens(word), BS).hashes),
  },
];

describe("router acceptance scenario A..G (ARCHITECTURE.md)", () => {
  for (const mode of modes) {
    it(`${mode.name}: [A,C,D,F] → w1 (longer prefix), [A,C,G] → w2 (equal overlap, smaller index)`, () => {
      const index = mode.make();
      const seqs = new ActiveSequences(() => 0);
      for (const [word, worker] of [["AB", "w1"], ["ACD", "w1"], ["ACE", "w2"]]) {
        // Forced (pinned) routes, each run to completion: zero load afterwards.
        const req = routeRequestBlocks(tokens(word), BS);
        const decision = decide(index, seqs, req, worker);
        expect(decision.workerId).to.equal(worker);
        admitDecision(seqs, word, req, decision);
        mode.force(index, word, worker);
        seqs.free(word);
      }
      const longer = decide(index, seqs, routeRequestBlocks(tokens("ACDF"), BS));
      expect(longer.workers.map((w) => [w.workerId, w.overlapBlocks, w.cost])).to.deep.equal([["w1", 3, 5], ["w2", 2, 6]]);
      expect(longer.workerId).to.equal("w1");
      const tie = decide(index, seqs, routeRequestBlocks(tokens("ACG"), BS));
      expect(tie.workers.map((w) => [w.workerId, w.overlapBlocks, w.cost])).to.deep.equal([["w1", 2, 4], ["w2", 2, 4]]);
      expect([index.blockCount("w1"), index.blockCount("w2")]).to.deep.equal([4, 3]);
      expect(tie.workerId).to.equal("w2");
    });
  }
});

describe("router worked example through real index and load state", () => {
  it("W2 wins on balance of cache hit and load", () => {
    // bs 4, a 40-token (10-block) prompt. Every worker's decode term includes the request's own
    // blocks, so no reachable state has a decode term below 10 here (see the cost-function test
    // for the literal 18/10/11 terms); this builds the closest state the formula allows.
    const index = new KvIndexer();
    const seqs = new ActiveSequences(() => 0);
    const prompt = tokens("ABCDEFGHIJ");
    const req = routeRequestBlocks(prompt, BS);
    const store = (worker: string, n: number): void => {
      const blocks = req.hashes.local.slice(0, n).map((localHash, i) => ({ localHash, sequenceHash: req.hashes.sequence[i] }));
      index.applyEvents(worker, [{ eventId: 1n, data: { $case: "stored", stored: { blocks } } }]);
    };
    store("W1", 2);
    store("W2", 5);
    store("W3", 8);
    // W2 serves a request sharing the first 5 blocks (past its prefill); W3 prefills 32 tokens of another.
    const shared = routeRequestBlocks(prompt.slice(0, 20), BS);
    seqs.add({ requestId: "s", workerId: "W2", sequenceHashes: shared.hashes.sequence, totalBlocks: 5, prefillTokens: 0 });
    const other = routeRequestBlocks(tokens("QRSTUVWX"), BS);
    seqs.add({ requestId: "o", workerId: "W3", sequenceHashes: other.hashes.sequence, totalBlocks: 8, prefillTokens: 32 });
    const candidates = buildCandidates([{ workerId: "W1" }, { workerId: "W2" }, { workerId: "W3" }], req, index, seqs, undefined);
    const d = createSelector("kv").selectWorker({ isl: 40, blockSize: BS, overlapWeight: 1, requestBlocks: req.requestBlocks, candidates });
    expect(d.workers.map((w) => [w.workerId, w.overlapBlocks, w.prefillTokens / BS, w.decodeBlocks, w.cost])).to.deep.equal([
      ["W1", 2, 8, 10, 18],
      ["W2", 5, 5, 10, 15],
      ["W3", 8, 10, 18, 28],
    ]);
    expect([d.workerId, d.bestOverlapBlocks]).to.deep.equal(["W2", 8]);
    // Sending it: W2's load grows by the 5 new blocks and 20 uncached prefill tokens.
    expect(admitDecision(seqs, "r", req, d)).to.equal(20);
    expect([seqs.activeBlocks("W2"), seqs.activePrefillTokens("W2")]).to.deep.equal([10, 20]);
  });
});
