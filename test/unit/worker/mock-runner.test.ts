import { expect } from "chai";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { RunnerRow } from "../../../services/worker/src/runners/model-runner.js";
import { createMockRunner, decodeMs, mockTokenId, prefillMs, stepMs, stepPacer, TIMER_GRANULARITY_MS } from "../../../services/worker/src/runners/mock-runner.js";
import { collect, engineWith, params, tokens } from "./engine-fixtures.js";

const row = (over: Partial<RunnerRow>): RunnerRow => ({ newTokenIds: [1], numComputedTokens: 0, blockIds: [0], needsLogits: true, ...over });

describe("mock runner", () => {
  it("produces tokens in [first, vocab) and never an eos id, deterministically", () => {
    const eos = [5, 6, 9, 2];
    const seen = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const t = mockTokenId(7n, "req", i, 12, eos, 3);
      expect(t).to.be.within(3, 11);
      expect(eos).to.not.include(t);
      seen.add(t);
    }
    expect([...seen].sort((a, b) => a - b)).to.deep.equal([3, 4, 7, 8, 10, 11]);
    expect(mockTokenId(7n, "req", 4, 512, [])).to.equal(mockTokenId(7n, "req", 4, 512, []));
    expect(() => mockTokenId(0n, "", 0, 3, [2], 2)).to.throw(RangeError);
  });

  const timing = [
    { name: "prefill of 100 tokens", rows: [row({ newTokenIds: tokens(100, 1) })], usage: 0, ms: prefillMs(100) },
    { name: "decode at 50% usage", rows: [row({ numComputedTokens: 10 }), row({ numComputedTokens: 4 })], usage: 0.5, ms: -25.74 * 0.25 + 54.01 * 0.5 + 5.74 },
    { name: "decode floored at 1 ms", rows: [row({ numComputedTokens: 10 })], usage: 2.5, ms: 1 },
    { name: "mixed step: prefill + decode", rows: [row({ newTokenIds: tokens(30, 2) }), row({ numComputedTokens: 9 })], usage: 0, ms: prefillMs(30) + decodeMs(0) },
    { name: "mid-prompt chunk counts as prefill", rows: [row({ newTokenIds: [1], numComputedTokens: 8, needsLogits: false })], usage: 0, ms: prefillMs(1) },
  ];
  for (const c of timing) {
    it(`times ${c.name}`, () => {
      expect(stepMs(c.rows, c.usage)).to.be.closeTo(c.ms, 1e-9);
    });
  }

  it("matches Dynamo's formulas at reference points", () => {
    expect(prefillMs(0)).to.be.closeTo(16.50142, 1e-9);
    expect(prefillMs(1000)).to.be.closeTo(0.4209989 + 15.18344 + 16.50142, 1e-9);
    expect(decodeMs(0)).to.be.closeTo(5.74, 1e-9);
    expect(decodeMs(1)).to.be.closeTo(-25.74 + 54.01 + 5.74, 1e-9);
  });

  it("sleeps the simulated time divided by the speedup ratio through the injected sleeper", async () => {
    const slept: number[] = [];
    const runner = createMockRunner({ numBlocks: 8, blockSize: 4, vocabSize: 64, eosTokenIds: [0], speedupRatio: 4, sleep: async (ms) => void slept.push(ms), now: () => 0 });
    const rows = [row({ newTokenIds: tokens(20, 3) }), row({ numComputedTokens: 3, needsLogits: false, newTokenIds: [1, 2] })];
    const out = await runner.execute(rows, 0);
    expect(slept).to.deep.equal([prefillMs(22) / 4]);
    expect(out[1]).to.equal(null);
    expect(out[0]).to.have.property("tokenId");
    const fast = createMockRunner({ numBlocks: 8, blockSize: 4, vocabSize: 64, eosTokenIds: [0], speedupRatio: Infinity, sleep: async () => void slept.push(-1) });
    await fast.execute(rows, 0);
    expect(slept.length).to.equal(1);
  });

  it("paces sub-millisecond steps on the wall clock: sleeps only once they add up to one timer tick", async () => {
    let clock = 100;
    const slept: number[] = [];
    const pace = stepPacer(async (ms) => {
      slept.push(ms);
      clock += ms; // the sleep takes exactly its time
    }, () => clock);
    for (let i = 0; i < 3; i++) await pace(0.3);
    expect(slept, "0.3, 0.6, 0.9 ms ahead: below one tick, no sleep").to.deep.equal([]);
    await pace(0.3);
    expect(slept).to.have.length(1);
    expect(slept[0]).to.be.closeTo(1.2, 1e-9); // the fourth brings it to one tick: sleep it all
    expect(clock).to.be.closeTo(101.2, 1e-9);
    // Exactly one tick ahead sleeps; just under does not (the boundary).
    await pace(TIMER_GRANULARITY_MS);
    expect(slept).to.have.length(2);
    await pace(TIMER_GRANULARITY_MS - 1e-6);
    expect(slept).to.have.length(2);
    // Idle time is not credit: after a pause the next step starts from now, not from the old due.
    clock += 50;
    await pace(0.5);
    expect(slept).to.have.length(2);
    await pace(0.5);
    expect(slept[2]).to.be.closeTo(1.0, 1e-6);
    // A step of several ticks sleeps its own time when nothing is owed.
    clock += 50;
    await pace(12.5);
    expect(slept[3]).to.be.closeTo(12.5, 1e-9);
  });

  it("the runner at --speedup-ratio 10000: a 16-token prefill step does not wait for a timer", async () => {
    const slept: number[] = [];
    const runner = createMockRunner({ numBlocks: 8, blockSize: 4, vocabSize: 64, eosTokenIds: [0], speedupRatio: 10_000, sleep: async (ms) => void slept.push(ms), now: () => 0 });
    await runner.execute([row({ newTokenIds: tokens(16, 3) })], 0);
    expect(prefillMs(16) / 10_000).to.be.below(TIMER_GRANULARITY_MS);
    expect(slept).to.deep.equal([]);
  });

  it("drives the engine: same tokens whatever the batching, never eos, ends by length", async () => {
    const make = (numBlocks: number, maxNumSeqs: number) =>
      engineWith(createMockRunner({ numBlocks, blockSize: 4, vocabSize: 40, eosTokenIds: [1, 2], firstNonSpecialTokenId: 1, speedupRatio: Infinity }), { maxNumSeqs, eosTokenIds: [1, 2] });
    const run = async (numBlocks: number, maxNumSeqs: number) => {
      const engine = make(numBlocks, maxNumSeqs);
      const ps = [0, 1, 2, 3].map((i) => params(`m${i}`, tokens(9 + i, i, 40), { maxTokens: 15 }, i % 2 ? { seed: BigInt(i) } : {}));
      const outs = await Promise.all(ps.map((p) => collect(engine, p)));
      expect(engine.load()).to.include({ blocksActive: 0 });
      return { outs, preemptions: engine.counters.preemptions };
    };
    const big = await run(64, 8);
    const small = await run(9, 8);
    expect(small.preemptions).to.be.greaterThan(0);
    expect(small.outs.map((o) => o.tokens)).to.deep.equal(big.outs.map((o) => o.tokens));
    for (const o of big.outs) {
      expect(o.tokens.length).to.equal(15);
      expect(o.tokens).to.not.include.oneOf([1, 2]);
      expect(o.last.finishReason).to.equal(FinishReason.FINISH_REASON_LENGTH);
    }
  });
});
