import { expect } from "chai";
import { isBusy, workerCost } from "../../../services/router/src/scheduling/cost.js";
import type { WorkerCandidate } from "../../../services/router/src/scheduling/cost.js";
import { Code, NoWorkerError, OverloadedError } from "#common/errors.js";
import { softmaxProbabilities } from "../../../services/router/src/scheduling/kv-pick.js";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";
import { createSelector } from "../../../services/router/src/scheduling/selector.js";
import type { SelectionInput } from "../../../services/router/src/scheduling/selector.js";

/** A zero-load candidate with `cost` = its new blocks (isl 0), for selection tests. */
function flat(workerId: string, cost: number, extra: Partial<WorkerCandidate> = {}): WorkerCandidate {
  return { workerId, overlapBlocks: 0, activePrefillTokens: 0, activeBlocks: 0, newBlocks: cost, indexedBlocks: 0, busy: false, requestsInFlight: 0, waiting: 0, kvUsage: 0, ...extra };
}
const input = (candidates: WorkerCandidate[], extra: Partial<SelectionInput> = {}): SelectionInput => ({
  isl: 0, blockSize: 16, overlapWeight: 1, requestBlocks: 0, candidates, ...extra,
});

describe("router cost function", () => {
  it("the worked example's terms give 18, 10, 11", () => {
    // bs 4, isl 40: prefill term = (active prefill + uncached) / 4 blocks.
    const request = { isl: 40, blockSize: 4, overlapWeight: 1 };
    const rows = [
      { c: flat("W1", 0, { overlapBlocks: 2, activeBlocks: 0, newBlocks: 10 }), prefill: 32, decode: 10, cost: 18 },
      { c: flat("W2", 0, { overlapBlocks: 5, activeBlocks: 0, newBlocks: 5 }), prefill: 20, decode: 5, cost: 10 },
      { c: flat("W3", 0, { overlapBlocks: 8, activeBlocks: 4, newBlocks: 5 }), prefill: 8, decode: 9, cost: 11 },
    ];
    for (const r of rows) expect(workerCost(r.c, request)).to.deep.equal({ workerId: r.c.workerId, overlapBlocks: r.c.overlapBlocks, prefillTokens: r.prefill, decodeBlocks: r.decode, cost: r.cost, busy: false });
    expect(createSelector("kv").selectWorker({ ...request, requestBlocks: 10, candidates: rows.map((r) => r.c) }).workerId).to.equal("W2");
  });

  it("weights the prefill term by --overlap-weight and never counts cached tokens beyond the prompt", () => {
    const terms = workerCost(flat("w", 0, { overlapBlocks: 3, activePrefillTokens: 8, newBlocks: 1 }), { isl: 10, blockSize: 4, overlapWeight: 2 });
    expect([terms.prefillTokens, terms.cost]).to.deep.equal([8, 2 * (8 / 4) + 1]);
  });

  const busyCases = [
    { load: { blocksActive: 90, blocksTotal: 100 }, threshold: 0.9, busy: false },
    { load: { blocksActive: 91, blocksTotal: 100 }, threshold: 0.9, busy: true },
    { load: { blocksActive: 100, blocksTotal: 100 }, threshold: undefined, busy: false },
    { load: undefined, threshold: 0.5, busy: false },
  ];
  for (const b of busyCases) {
    it(`isBusy ${JSON.stringify(b.load)} > ${b.threshold}: ${b.busy}`, () => {
      expect(isBusy(b.load, b.threshold)).to.equal(b.busy);
    });
  }
});

describe("router selector", () => {
  const tieCases = [
    { name: "lowest cost wins", workers: [flat("a", 5), flat("b", 3), flat("c", 4)], chosen: "b" },
    { name: "costs within 1e-5 tie; fewest indexed blocks wins", workers: [flat("a", 3, { indexedBlocks: 9 }), flat("b", 3.000001, { indexedBlocks: 2 })], chosen: "b" },
    { name: "a difference above 1e-5 is no tie", workers: [flat("a", 3, { indexedBlocks: 9 }), flat("b", 3.0001, { indexedBlocks: 2 })], chosen: "a" },
    { name: "full tie: lowest worker id", workers: [flat("w2", 3), flat("w1", 3)], chosen: "w1" },
    { name: "a busy worker is skipped even when cheapest", workers: [flat("a", 1, { busy: true }), flat("b", 7)], chosen: "b" },
  ];
  for (const c of tieCases) {
    it(`temperature 0: ${c.name}`, () => {
      expect(createSelector("kv").selectWorker(input(c.workers)).workerId).to.equal(c.chosen);
    });
  }

  it("all busy → OverloadedError (RESOURCE_EXHAUSTED); none → NoWorkerError (UNAVAILABLE)", () => {
    const kv = createSelector("kv");
    expect(() => kv.selectWorker(input([flat("a", 1, { busy: true })]))).to.throw(OverloadedError);
    expect(() => kv.selectWorker(input([]))).to.throw(NoWorkerError);
    expect(() => kv.selectWorker(input([flat("a", 1, { busy: true })]))).to.throw(OverloadedError).with.property("code", Code.RESOURCE_EXHAUSTED);
    expect(() => kv.selectWorker(input([]))).to.throw(NoWorkerError).with.property("code", Code.UNAVAILABLE);
  });

  it("a pin wins over cost and busy, and must name a candidate", () => {
    const kv = createSelector("kv");
    const workers = [flat("a", 1), flat("b", 9, { busy: true })];
    expect(kv.selectWorker(input(workers, { pinnedWorkerId: "b" })).workerId).to.equal("b");
    expect(() => kv.selectWorker(input(workers, { pinnedWorkerId: "zz" }))).to.throw(NoWorkerError);
  });

  it("reports every worker's terms, busy ones included, and the best overlap", () => {
    const d = createSelector("kv").selectWorker(input([flat("a", 2, { overlapBlocks: 1 }), flat("b", 1, { overlapBlocks: 4, busy: true })], { requestBlocks: 6 }));
    expect(d.workers.map((w) => [w.workerId, w.cost, w.busy])).to.deep.equal([["a", 2, false], ["b", 1, true]]);
    expect([d.workerId, d.bestOverlapBlocks, d.requestBlocks, d.blockSize]).to.deep.equal(["a", 4, 6, 16]);
  });

  it("temperature > 0 follows p ∝ exp(−(c − c_min)/((c_max − c_min)·T)) over many seeded draws", () => {
    const workers = [flat("a", 10), flat("b", 15), flat("c", 20)];
    const T = 0.5;
    const expected = softmaxProbabilities([10, 15, 20], T);
    const z = 1 + Math.exp(-1) + Math.exp(-2);
    expect(expected.map((p) => p.toFixed(6))).to.deep.equal([1 / z, Math.exp(-1) / z, Math.exp(-2) / z].map((p) => p.toFixed(6)));
    const selector = createSelector("kv", { temperature: T, rng: seededRng(42) });
    const counts = new Map<string, number>();
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const id = selector.selectWorker(input(workers)).workerId;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    ["a", "b", "c"].forEach((id, i) => expect((counts.get(id) ?? 0) / draws).to.be.closeTo(expected[i], 0.015));
  });

  it("temperature > 0 with equal costs is uniform", () => {
    expect(softmaxProbabilities([4, 4, 4, 4], 1)).to.deep.equal([0.25, 0.25, 0.25, 0.25]);
    const selector = createSelector("kv", { temperature: 1, rng: seededRng(7) });
    const counts = new Map<string, number>();
    for (let i = 0; i < 9000; i++) {
      const id = selector.selectWorker(input([flat("a", 4), flat("b", 4), flat("c", 4)])).workerId;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const id of ["a", "b", "c"]) expect(counts.get(id)! / 9000).to.be.closeTo(1 / 3, 0.02);
  });

  it("the same seed gives the same draws, whatever the candidate order", () => {
    const run = (reverse: boolean): string[] => {
      const selector = createSelector("kv", { temperature: 1, rng: seededRng(99) });
      const workers = [flat("a", 1), flat("b", 2), flat("c", 3)];
      if (reverse) workers.reverse();
      return Array.from({ length: 50 }, () => selector.selectWorker(input(workers)).workerId);
    };
    expect(run(true)).to.deep.equal(run(false));
    expect(new Set(run(false)).size).to.be.greaterThan(1);
  });

  it("round-robin cycles in worker-id order, skipping busy workers", () => {
    const rr = createSelector("round-robin");
    const workers = [flat("c", 0), flat("a", 0), flat("b", 0, { busy: true })];
    expect(Array.from({ length: 4 }, () => rr.selectWorker(input(workers)).workerId)).to.deep.equal(["a", "c", "a", "c"]);
  });

  it("random spreads evenly with a seed and skips busy workers", () => {
    const random = createSelector("random", { rng: seededRng(3) });
    const counts = new Map<string, number>();
    const workers = [flat("a", 0), flat("b", 0), flat("x", 0, { busy: true })];
    for (let i = 0; i < 4000; i++) {
      const id = random.selectWorker(input(workers)).workerId;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.has("x")).to.equal(false);
    expect(counts.get("a")! / 4000).to.be.closeTo(0.5, 0.03);
  });
});
