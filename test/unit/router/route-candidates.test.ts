// The decision's per-worker work without per-call copies: buildCandidates reads each worker's
// load in one lookup, and lowestCostIndex picks by index instead of building a Pickable per
// worker. Both are checked against the plain definitions on seeded random inputs.
import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import { KvIndexer } from "../../../services/router/src/indexer/kv-indexer.js";
import { isBusy } from "../../../services/router/src/scheduling/cost.js";
import { COST_EPSILON, lowestCostIndex, pickLowestCost } from "../../../services/router/src/scheduling/kv-pick.js";
import { buildCandidates, routeRequestBlocks as requestBlocksOf } from "../../../services/router/src/scheduling/route-plan.js";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";
import { ActiveSequences } from "../../../services/router/src/sequences/active-sequences.js";

const BS = 4;

describe("router decision: candidates and the lowest-cost pick without per-call copies", () => {
  it("buildCandidates gives every worker the terms of the plain definition (seeded, 300 decisions)", () => {
    const rng = seededRng(11);
    const index = new KvIndexer();
    const seqs = new ActiveSequences(() => 0);
    const prefixes = Array.from({ length: 4 }, () => Array.from({ length: 8 * BS }, () => Math.floor(rng() * 500)));
    const prompt = (): number[] => [...prefixes[Math.floor(rng() * 4)].slice(0, BS * Math.floor(rng() * 9)), ...Array.from({ length: Math.floor(rng() * 20) }, () => Math.floor(rng() * 500))];
    const workers = ["w1", "w2", "w3", "w4", "w5"].map((workerId, i) => ({
      workerId, load: i === 4 ? undefined : { blocksActive: 10 * i, blocksTotal: i === 3 ? 0 : 40, waiting: i },
    }));
    for (let step = 0; step < 300; step++) {
      const tokens = prompt();
      if (tokens.length === 0) continue;
      const request = requestBlocksOf(tokens, BS);
      if (rng() < 0.3) {
        const h = hashBlocks(tokens, BS);
        index.applyEvents(workers[Math.floor(rng() * 5)].workerId, [{ eventId: BigInt(step), data: { $case: "stored", stored: { blocks: h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] })) } } }]);
      }
      const candidates = buildCandidates(workers, request, index, seqs, 0.5);
      const overlaps = index.findMatches(request.hashes.local);
      const shared = seqs.sharedBlocks(request.hashes.sequence);
      expect(candidates, `step ${step}`).to.deep.equal(workers.map((w) => ({
        workerId: w.workerId,
        overlapBlocks: overlaps.get(w.workerId) ?? 0,
        activePrefillTokens: seqs.activePrefillTokens(w.workerId),
        activeBlocks: seqs.activeBlocks(w.workerId),
        newBlocks: request.requestBlocks - (shared.get(w.workerId) ?? 0),
        indexedBlocks: index.blockCount(w.workerId),
        busy: isBusy(w.load, 0.5),
        requestsInFlight: seqs.requestsInFlight(w.workerId),
        waiting: w.load?.waiting ?? 0,
        kvUsage: w.load === undefined || w.load.blocksTotal <= 0 ? 0 : w.load.blocksActive / w.load.blocksTotal,
        freeBlocks: w.load === undefined || w.load.blocksTotal <= 0 ? Number.POSITIVE_INFINITY : Math.max(0, w.load.blocksTotal - w.load.blocksActive),
      })));
      const chosen = workers[Math.floor(rng() * 5)].workerId;
      seqs.add({ requestId: `r${step}`, workerId: chosen, sequenceHashes: request.hashes.sequence, totalBlocks: request.requestBlocks, prefillTokens: Math.floor(rng() * 100) });
      if (rng() < 0.5) seqs.free(`r${Math.floor(rng() * step)}`);
      if (rng() < 0.2) seqs.markFirstToken(`r${Math.floor(rng() * step)}`);
    }
  });

  it("lowestCostIndex chooses pickLowestCost's worker: ties within 1e-5, then fewer indexed blocks, then the lower id", () => {
    const candidates = [
      { workerId: "c", indexedBlocks: 5 }, { workerId: "a", indexedBlocks: 5 }, { workerId: "b", indexedBlocks: 3 }, { workerId: "d", indexedBlocks: 0 },
    ];
    const cases: { costs: number[]; free: number[]; expected: string }[] = [
      { costs: [1, 1, 2, 3], free: [0, 1, 2, 3], expected: "a" }, // tie on cost and blocks: lower id
      { costs: [1, 1 + COST_EPSILON, 1 + COST_EPSILON * 0.5, 3], free: [0, 1, 2, 3], expected: "b" }, // within ε: fewer blocks
      { costs: [1, 1 + COST_EPSILON * 1.5, 5, 5], free: [0, 1, 2, 3], expected: "c" }, // one past ε: no tie
      { costs: [9, 9, 9, 0], free: [0, 1, 2], expected: "b" }, // the cheapest is not free; tie: fewer blocks
      { costs: [7, 7, 7, 7], free: [3], expected: "d" }, // one free worker
      { costs: [-1, Infinity, 0, 0], free: [0, 1, 2, 3], expected: "c" },
    ];
    for (const c of cases) {
      const got = lowestCostIndex(c.free, candidates, (i) => c.costs[i]);
      const plain = pickLowestCost(c.free.map((i) => ({ ...candidates[i], cost: c.costs[i] })));
      expect(candidates[got].workerId, JSON.stringify(c.costs)).to.equal(c.expected);
      expect(plain.workerId).to.equal(c.expected);
    }
    const rng = seededRng(5);
    for (let round = 0; round < 500; round++) {
      const n = 1 + Math.floor(rng() * 12);
      const pool = Array.from({ length: n }, (_, i) => ({ workerId: `w${Math.floor(rng() * 100)}-${i}`, indexedBlocks: Math.floor(rng() * 3) }));
      const costs = pool.map(() => Math.floor(rng() * 4) + (rng() < 0.3 ? COST_EPSILON * rng() * 2 : 0));
      const free = pool.map((_, i) => i).filter(() => rng() < 0.7);
      if (free.length === 0) continue;
      const plain = pickLowestCost(free.map((i) => ({ ...pool[i], cost: costs[i] })));
      expect(pool[lowestCostIndex(free, pool, (i) => costs[i])].workerId, `round ${round}`).to.equal(plain.workerId);
    }
  });
});
