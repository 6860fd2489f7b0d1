import { expect } from "chai";
import { createCacheAware, isImbalanced } from "../../../services/router/src/scheduling/cache-aware.js";
import { EVICTION_INTERVAL_MS, RoutedPromptTree } from "../../../services/router/src/scheduling/routed-prompt-tree.js";
import { createSelector, selectorOf } from "../../../services/router/src/scheduling/selector.js";
import { candidate, request } from "./policy-fixtures.js";

const hashes = (...ids: number[]): bigint[] => ids.map((i) => BigInt(i));
const H10 = hashes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);

describe("cache-aware policy", () => {
  it("balance thresholds: max − min > 64 and max > 1.5 × min, each at and one past", () => {
    expect(isImbalanced([100, 164, 120])).to.equal(false); // difference exactly 64
    expect(isImbalanced([100, 165, 120])).to.equal(true); // 65
    expect(isImbalanced([200, 300])).to.equal(false); // exactly 1.5 × min
    expect(isImbalanced([200, 301])).to.equal(true);
    expect(isImbalanced([0, 64])).to.equal(false);
    expect(isImbalanced([0, 65])).to.equal(true);
  });

  it("worked example: tree matches 96, 0, 32 tokens of 160; 96 / 160 = 0.6 > 0.3 → A, though B is least loaded", () => {
    const selector = createSelector("cache-aware", { cacheAware: { now: () => 0 } });
    const three = [candidate("A", { requestsInFlight: 3 }), candidate("B", { requestsInFlight: 1 }), candidate("C", { requestsInFlight: 2 })];
    selector.admitted(request(three, 96, { sequenceHashes: hashes(1, 2, 3, 4, 5, 6) }), "A");
    selector.admitted(request(three, 32, { sequenceHashes: hashes(1, 2) }), "C");
    const d = selector.selectWorker(request(three, 160, { sequenceHashes: H10 }));
    expect([d.workerId, d.workers.map((w) => w.cost)]).to.deep.equal(["A", [96, 0, 32]]);
  });

  it("0.3 threshold: matched ÷ prompt at exactly 0.3 goes to the least loaded; just above it, to the match", () => {
    const make = () => createSelector("cache-aware", { cacheAware: { now: () => 0 } });
    const two = [candidate("A", { requestsInFlight: 5 }), candidate("B", { requestsInFlight: 0 })];
    for (const [isl, chosen] of [[160, "B"], [159, "A"]] as const) {
      const s = make();
      s.admitted(request(two, 48, { sequenceHashes: hashes(1, 2, 3) }), "A");
      // 3 blocks × 16 = 48 tokens: 48 / 160 = 0.3 exactly; 48 / 159 = 0.302.
      expect(s.selectWorker(request(two, isl, { sequenceHashes: H10.slice(0, 9) })).workerId).to.equal(chosen);
    }
  });

  it("imbalance overrides the cache: 65 more in flight on the matching worker sends the request away", () => {
    const s = createSelector("cache-aware", { cacheAware: { now: () => 0 } });
    const base = (a: number) => [candidate("A", { requestsInFlight: a }), candidate("B", { requestsInFlight: 0 })];
    s.admitted(request(base(0), 160, { sequenceHashes: H10 }), "A");
    expect(s.selectWorker(request(base(64), 160, { sequenceHashes: H10 })).workerId).to.equal("A");
    expect(s.selectWorker(request(base(65), 160, { sequenceHashes: H10 })).workerId).to.equal("B");
  });

  it("equal matches tie to fewer in flight; deciding alone teaches the tree nothing", () => {
    const policy = createCacheAware({ now: () => 0 });
    const s = selectorOf(policy);
    const three = [candidate("A", { requestsInFlight: 4 }), candidate("B", { requestsInFlight: 9 }), candidate("C", { requestsInFlight: 2 })];
    expect(s.selectWorker(request(three, 160, { sequenceHashes: H10 })).workers.map((w) => w.cost)).to.deep.equal([0, 0, 0]);
    for (const w of ["A", "B", "C"]) s.admitted(request(three, 80, { sequenceHashes: hashes(1, 2, 3, 4, 5) }), w);
    expect(s.selectWorker(request(three, 160, { sequenceHashes: H10 })).workerId).to.equal("C");
    const onlyAb = [candidate("A", { requestsInFlight: 4 }), candidate("B", { requestsInFlight: 9 })];
    expect(s.selectWorker(request(onlyAb, 160, { sequenceHashes: H10 })).workerId).to.equal("A");
  });
});

describe("cache-aware's tree of routed prompts", () => {
  it("matches each worker's leading run only", () => {
    const tree = new RoutedPromptTree(() => 0, 100);
    tree.insert(hashes(1, 2, 3), "A");
    tree.insert(hashes(1, 9), "B");
    tree.insert(hashes(2, 3), "C"); // not a prefix of the request: matches nothing
    expect([...tree.match(hashes(1, 2, 3, 4))]).to.deep.equal([["A", 3], ["B", 1]]);
    expect(tree.size).to.equal(7);
  });

  it("trims least recently used entries to the cap every 120 s (injected clock), deepest first among equals", () => {
    let now = 0;
    const tree = new RoutedPromptTree(() => now, 3);
    tree.insert(hashes(1, 2), "A");
    now = 10;
    tree.insert(hashes(5, 6), "B");
    now = EVICTION_INTERVAL_MS - 1;
    expect(tree.match(hashes(1, 2)).get("A")).to.equal(2);
    expect(tree.size).to.equal(4); // one ms early: nothing trimmed
    now = EVICTION_INTERVAL_MS;
    expect(tree.match(hashes(1, 2)).get("A")).to.equal(1); // A's leaf (block 2) was oldest and deepest
    expect(tree.size).to.equal(3);
    expect(tree.match(hashes(5, 6)).get("B")).to.equal(2);
  });

  it("a tree under its cap keeps everything; a negative cap is refused", () => {
    let now = 0;
    const tree = new RoutedPromptTree(() => now, 10);
    tree.insert(hashes(1, 2, 3), "A");
    now = 10 * EVICTION_INTERVAL_MS;
    expect(tree.match(hashes(1, 2, 3)).get("A")).to.equal(3);
    expect(() => new RoutedPromptTree(() => 0, -1)).to.throw(RangeError);
  });
});
