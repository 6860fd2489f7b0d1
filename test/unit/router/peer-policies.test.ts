import { expect } from "chai";
import { loadRouterConfig } from "../../../services/router/src/config.js";
import { lmetricScores } from "../../../services/router/src/scheduling/lmetric.js";
import { prefixLoadTerms } from "../../../services/router/src/scheduling/prefix-load-scorer.js";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";
import { createSelector } from "../../../services/router/src/scheduling/selector.js";
import { DEFAULT_PEAK_PREFILL_TOKENS_PER_S, tokenLoadScores } from "../../../services/router/src/scheduling/token-load.js";
import { prefillMs } from "../../../services/worker/src/runners/mock-runner.js";
import { candidate, request } from "./policy-fixtures.js";

describe("token-load policy", () => {
  // isl 160, bs 16. A: 9 blocks cached (f 0.9), 2,000 uncached tokens in flight; B: 8 blocks (f 0.8
  // exactly, warm), 1,000 in flight; C: nothing cached, nothing in flight.
  const workers = () => [
    candidate("A", { overlapBlocks: 9, activePrefillTokens: 2000 }),
    candidate("B", { overlapBlocks: 8, activePrefillTokens: 1000 }),
    candidate("C", { overlapBlocks: 0, activePrefillTokens: 0 }),
  ];

  it("worked example: scores 2016, 1032, 160; C is not τ lighter than the best warm worker, so B wins", () => {
    // A: 2000 + 160 × (1 − 0.9) = 2016; B: 1000 + 160 × 0.2 = 1032; C: 0 + 160 × 1 = 160.
    expect(tokenLoadScores(request(workers())).map((s) => Math.round(s * 1e6) / 1e6)).to.deep.equal([2016, 1032, 160]);
    // τ = 100 tokens/s × 14 s = 1,400; best warm in flight 1,000 − C's 0 = 1,000 < 1,400.
    const d = createSelector("token-load", { peakPrefillTokensPerS: 100 }).selectWorker(request(workers()));
    expect(d.workerId).to.equal("B");
    expect(d.workers.map((w) => Math.round(w.cost))).to.deep.equal([2016, 1032, 160]);
  });

  it("τ rule: a cold worker lighter by exactly τ comes back (and wins); by a hair less it does not", () => {
    expect(createSelector("token-load", { peakPrefillTokensPerS: 1000 / 14 }).selectWorker(request(workers())).workerId).to.equal("C");
    expect(createSelector("token-load", { peakPrefillTokensPerS: 1000.01 / 14 }).selectWorker(request(workers())).workerId).to.equal("B");
  });

  it("0.8 threshold: at exactly 0.8 the worker is warm (sticky); just under, every worker competes", () => {
    const two = (isl: number) => request([candidate("B", { overlapBlocks: 8, activePrefillTokens: 1000 }), candidate("C", { activePrefillTokens: 800 })], isl);
    const policy = () => createSelector("token-load", { peakPrefillTokensPerS: 100 });
    // isl 160: B's 128 cached = 0.8 → warm alone (C is 200 < τ lighter) → B (1032) over C (960).
    expect(policy().selectWorker(two(160)).workerId).to.equal("B");
    // isl 161: 128 / 161 = 0.795 → no warm worker → lowest score: C 800 + 161 = 961 < B 1000 + 33 = 1033.
    expect(policy().selectWorker(two(161)).workerId).to.equal("C");
  });

  it("τ's seconds can be set (kvmesh sim --token-load-tau-s): 10 s at 100 tokens/s = 1,000 brings C back, 10.0001 s does not; 0 s brings back any lighter worker; negative is refused", () => {
    const pick = (stickySeconds: number) => createSelector("token-load", { peakPrefillTokensPerS: 100, tokenLoadStickySeconds: stickySeconds }).selectWorker(request(workers())).workerId;
    expect(pick(10)).to.equal("C");
    expect(pick(10.0001)).to.equal("B");
    expect(pick(0)).to.equal("C");
    expect(() => pick(-0.001)).to.throw(RangeError, /sticky seconds/);
    expect(() => pick(Number.NaN)).to.throw(RangeError);
  });

  it("τ defaults to the mocker's peak prefill throughput × 14 s, and rejects a non-positive peak", () => {
    expect(DEFAULT_PEAK_PREFILL_TOKENS_PER_S).to.be.closeTo(2048 / (prefillMs(2048) / 1000), 1);
    expect(() => createSelector("token-load", { peakPrefillTokensPerS: 0 })).to.throw(RangeError);
  });
});

describe("lmetric policy", () => {
  it("worked example: (in flight + uncached) × (requests + 1) = 1920, 1560, 1200; C wins", () => {
    const workers = [
      candidate("A", { overlapBlocks: 5, activePrefillTokens: 400, requestsInFlight: 3 }), // (400 + 80) × 4
      candidate("B", { overlapBlocks: 0, activePrefillTokens: 100, requestsInFlight: 5 }), // (100 + 160) × 6
      candidate("C", { overlapBlocks: 10, activePrefillTokens: 600, requestsInFlight: 1 }), // (600 + 0) × 2
    ];
    expect(lmetricScores(request(workers))).to.deep.equal([1920, 1560, 1200]);
    expect(createSelector("lmetric").selectWorker(request(workers)).workerId).to.equal("C");
  });

  it("an idle worker scores its own uncached tokens; equal scores tie to the emptier cache", () => {
    const workers = [candidate("A", { indexedBlocks: 5 }), candidate("B", { indexedBlocks: 2 }), candidate("C", { busy: true })];
    expect(lmetricScores(request(workers))).to.deep.equal([160, 160, 160]);
    expect(createSelector("lmetric").selectWorker(request(workers)).workerId).to.equal("B");
  });
});

describe("least-loaded policy", () => {
  it("fewest requests in flight wins (3, 1, 2 → B); ties to the emptier cache", () => {
    const workers = [candidate("A", { requestsInFlight: 3 }), candidate("B", { requestsInFlight: 1 }), candidate("C", { requestsInFlight: 2 })];
    const d = createSelector("least-loaded").selectWorker(request(workers));
    expect([d.workerId, d.workers.map((w) => w.cost)]).to.deep.equal(["B", [3, 1, 2]]);
    const tied = [candidate("A", { requestsInFlight: 1, indexedBlocks: 9 }), candidate("B", { requestsInFlight: 1, indexedBlocks: 1 })];
    expect(createSelector("least-loaded").selectWorker(request(tied)).workerId).to.equal("B");
  });
});

describe("prefix-load-scorer policy", () => {
  // 10 request blocks. Waiting 4, 0, 2 → queue 0, 1, 0.5. Cached 10, 0, 5 blocks → prefix 1, 0,
  // 0.5. KV usage 0.5, 0.9, 0.2 → kv 0.5, 0.1, 0.8.
  const workers = () => [
    candidate("A", { overlapBlocks: 10, waiting: 4, kvUsage: 0.5 }),
    candidate("B", { overlapBlocks: 0, waiting: 0, kvUsage: 0.9 }),
    candidate("C", { overlapBlocks: 5, waiting: 2, kvUsage: 0.2 }),
  ];

  it("worked example: 3·1 + 2·0 + 2·0.5 = 4; 3·0 + 2·1 + 2·0.1 = 2.2; 3·0.5 + 2·0.5 + 2·0.8 = 4.1 → C", () => {
    const terms = prefixLoadTerms(request(workers()));
    expect(terms.map((t) => [t.prefix, t.queue, Number(t.kv.toFixed(9))])).to.deep.equal([[1, 0, 0.5], [0, 1, 0.1], [0.5, 0.5, 0.8]]);
    const scores = terms.map((t) => t.score);
    [4, 2.2, 4.1].forEach((s, i) => expect(scores[i]).to.be.closeTo(s, 1e-9));
    expect(createSelector("prefix-load-scorer", { rng: seededRng(1) }).selectWorker(request(workers())).workerId).to.equal("C");
  });

  it("queue is 1 for every worker when all wait equally; prefix is clipped to 1; usage beyond 1 counts as full", () => {
    const terms = prefixLoadTerms(request([candidate("A", { waiting: 3, overlapBlocks: 12, kvUsage: 1.2 }), candidate("B", { waiting: 3 }), candidate("C", { waiting: 3 })]));
    expect(terms.map((t) => [t.prefix, t.queue, t.kv])).to.deep.equal([[1, 1, 0], [0, 1, 1], [0, 1, 1]]);
  });

  it("equal best scores are drawn at random: seeded, uniform, not first-index and not a rotation", () => {
    const tied = request([candidate("A"), candidate("B"), candidate("C")]);
    const draws = (seed: number): string[] => {
      const selector = createSelector("prefix-load-scorer", { rng: seededRng(seed) });
      return Array.from({ length: 3000 }, () => selector.selectWorker(tied).workerId);
    };
    const picks = draws(11);
    expect(draws(11)).to.deep.equal(picks);
    expect(draws(12)).to.not.deep.equal(picks);
    for (const id of ["A", "B", "C"]) expect(picks.filter((p) => p === id).length / picks.length).to.be.closeTo(1 / 3, 0.04);
    // A rotation never repeats a worker back to back; independent draws do a third of the time.
    const repeats = picks.filter((p, i) => i > 0 && p === picks[i - 1]).length / (picks.length - 1);
    expect(repeats).to.be.closeTo(1 / 3, 0.04);
    // Only the tied best are drawn: a strictly better worker always wins.
    const better = request([candidate("A"), candidate("B", { overlapBlocks: 1 }), candidate("C")]);
    const selector = createSelector("prefix-load-scorer", { rng: seededRng(5) });
    for (let i = 0; i < 50; i++) expect(selector.selectWorker(better).workerId).to.equal("B");
  });
});

describe("--router-mode", () => {
  const quiet = { out: () => {}, err: () => {} };
  for (const mode of ["ttft", "kv", "token-load", "lmetric", "prefix-load-scorer", "cache-aware", "least-loaded", "round-robin", "random", "direct"]) {
    it(`accepts ${mode}`, () => {
      expect(loadRouterConfig(["--router-mode", mode], {}, quiet).config?.routerMode).to.equal(mode);
    });
  }
  it("defaults to kv and rejects an unknown mode, naming the flag", () => {
    expect(loadRouterConfig([], {}, quiet).config?.routerMode).to.equal("kv");
    let said = "";
    const bad = loadRouterConfig(["--router-mode", "ttft-ish"], {}, { out: () => {}, err: (t) => (said += t) });
    expect(bad.exitCode).to.equal(2);
    expect(said).to.match(/router-mode/);
  });
});

describe("--router-mode help", () => {
  it("names the modes in the help text instead of widening every flag's column", async () => {
    const { formatHelp } = await import("#common/config/help.js");
    const { ROUTER_SPEC } = await import("../../../services/router/src/config.js");
    const lines = formatHelp(ROUTER_SPEC).split("\n");
    const mode = lines.find((l) => l.includes("--router-mode"))!;
    expect(mode).to.match(/^ {2}--router-mode <choice> +how a worker is chosen/);
    expect(mode).to.include("one of ttft|kv|token-load|lmetric|prefix-load-scorer|cache-aware|least-loaded|round-robin|random|direct; default kv");
    // Short enums stay inline, and set the column as before.
    const events = lines.find((l) => l.includes("--kv-events"))!;
    expect(events).to.match(/--kv-events <nats\|grpc\|none> /);
    expect(mode.indexOf("how a worker")).to.equal(events.indexOf("where the KV index"));
  });
});
