import { expect } from "chai";
import { aggregate } from "../../../bench/stats/aggregate.js";
import { availableReuse } from "../../../bench/stats/available-reuse.js";
import { quantile, summarize } from "../../../bench/stats/percentiles.js";
import type { RequestRecord } from "../../../bench/stats/record.js";

/** Each letter one block of 4 distinct tokens; "-" ends the prompt with 2 tokens of its own. */
const BS = 4;
const prompt = (word: string): number[] =>
  [...word].flatMap((ch) => (ch === "-" ? [1, 2] : Array.from({ length: BS }, (_, i) => ch.charCodeAt(0) * 16 + i)));

describe("bench percentiles", () => {
  const cases = [
    { data: [1, 2, 3, 4], q: 0.5, want: 2.5 },
    { data: [4, 1, 3, 2], q: 0.5, want: 2.5 },
    { data: [1, 2, 3, 4, 5], q: 0.5, want: 3 },
    { data: [1, 2, 3, 4, 5], q: 0.9, want: 4.6 },
    { data: [10], q: 0.99, want: 10 },
    { data: Array.from({ length: 101 }, (_, i) => i), q: 0.99, want: 99 },
    { data: Array.from({ length: 101 }, (_, i) => i), q: 0.9, want: 90 },
    { data: [0, 10], q: 0.25, want: 2.5 },
  ];
  for (const { data, q, want } of cases) {
    it(`q${q} of [${data.length > 6 ? `0..${data.length - 1}` : data.join(", ")}] is ${want}`, () => {
      expect(quantile([...data].sort((a, b) => a - b), q)).to.be.closeTo(want, 1e-9);
      if (q === 0.5) expect(summarize(data).p50).to.be.closeTo(want, 1e-9);
    });
  }

  it("summarises mean, min, max and tail without touching the input", () => {
    const data = [5, 1, 4, 2, 3];
    expect(summarize(data)).to.deep.equal({ count: 5, mean: 3, min: 1, max: 5, p50: 3, p90: 4.6, p99: 4.96 });
    expect(data).to.deep.equal([5, 1, 4, 2, 3]);
    expect(summarize([])).to.include({ count: 0, p50: 0 });
  });
});

describe("bench available reuse", () => {
  const cases = [
    { name: "nothing shared", words: ["AB-", "CD-"], per: [0, 0] },
    { name: "a shared first block", words: ["AB-", "AC-"], per: [0, 4] },
    { name: "a repeat of a whole prompt (last block recomputed)", words: ["ABC", "ABC"], per: [0, 8] },
    { name: "growth, as in multi-turn", words: ["A-", "AB-", "ABC-"], per: [0, 4, 8] },
    { name: "a block only equal out of prefix order", words: ["AB-", "BA-"], per: [0, 0] },
    { name: "a prefix from the earliest of several", words: ["ABC-", "AD-", "ABE-"], per: [0, 4, 8] },
    { name: "partial blocks never count", words: ["A-", "A-"], per: [0, 4] },
  ];
  for (const { name, words, per } of cases) {
    it(name, () => {
      const prompts = words.map(prompt);
      const r = availableReuse(prompts, BS);
      expect(r.perRequest).to.deep.equal(per);
      const total = prompts.reduce((n, p) => n + p.length, 0);
      expect(r.promptTokens).to.equal(total);
      expect(r.ratio).to.be.closeTo(per.reduce((a, b) => a + b, 0) / total, 1e-12);
    });
  }
});

describe("bench aggregate statistics", () => {
  const rec = (over: Partial<RequestRecord>): RequestRecord => ({
    id: "r", startMs: 0, promptTokens: 100, outputLen: 5, outputTokens: 5, cachedTokens: 0, ttftMs: 10, itlMs: [1, 1, 1, 1], e2eMs: 14, ...over,
  });
  const records = [
    rec({ id: "a", startMs: 0, cachedTokens: 50, workerId: "w1" }),
    rec({ id: "b", startMs: 500, ttftMs: 30, e2eMs: 500, itlMs: [100, 100, 100, 170], cachedTokens: 0, workerId: "w2" }),
    rec({ id: "c", startMs: 100, error: "http_503:overloaded", ttftMs: undefined, itlMs: [], outputTokens: 0, e2eMs: 3 }),
    rec({ id: "d", startMs: 200, error: "http_503:overloaded", ttftMs: undefined, itlMs: [], outputTokens: 0, e2eMs: 3 }),
    rec({ id: "e", startMs: 300, error: "stream:internal", e2eMs: 20 }),
  ];
  const s = aggregate(records, 0.4);

  it("counts errors by kind and leaves failures out of the latency and token sums", () => {
    expect(s.requests).to.equal(5);
    expect(s.succeeded).to.equal(2);
    expect(s.errors).to.deep.equal({ "http_503:overloaded": 2, "stream:internal": 1 });
    expect(s.ttftMs).to.include({ count: 2, mean: 20, p50: 20 });
    expect(s.itlMs.count).to.equal(8);
    expect(s.outputTokens).to.equal(10);
    expect(s.perWorker).to.deep.equal({ w1: 1, w2: 1 });
  });

  it("derives rates over first send to last finish", () => {
    expect(s.durationS).to.equal(1);
    expect(s.outputTokensPerS).to.equal(10);
    expect(s.requestsPerS).to.equal(2);
    expect(s.tpotMs.p50).to.be.closeTo((1 + 117.5) / 2, 1e-9);
  });

  it("reports the delivered hit rate next to the available reuse", () => {
    expect(s.deliveredHitRate).to.equal(50 / 200);
    expect(s.availableReuse).to.equal(0.4);
  });
});
