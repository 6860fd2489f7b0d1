import { expect } from "chai";
import { Code } from "#common/errors.js";
import { logSoftmax } from "../../../services/worker/src/sampling/logprobs.js";
import { uniformAt } from "../../../services/worker/src/sampling/rng.js";
import { sampleToken } from "../../../services/worker/src/sampling/sampler.js";
import type { SampleContext } from "../../../services/worker/src/sampling/sampler.js";
import { DEFAULT_SAMPLING, DEFAULT_STOP } from "../../../services/worker/src/sampling/sampling-params.js";
import type { SamplingOptions } from "../../../services/worker/src/sampling/sampling-params.js";
import { truncatedCandidates } from "../../../services/worker/src/sampling/truncation.js";
import { validateSampling, validateStop } from "../../../services/worker/src/sampling/validate.js";

const opts = (o: Partial<SamplingOptions>): SamplingOptions => ({ ...DEFAULT_SAMPLING, ...o });
const ctx = (o: Partial<SampleContext> = {}): SampleContext => ({ allTokenIds: [], outputStart: 0, outputIndex: 0, seed: 1n, maskedIds: [], ...o });
const logits = (...v: number[]): Float32Array => Float32Array.from(v);

/** Draw frequencies over `n` output positions. */
function histogram(l: Float32Array, o: SamplingOptions, n: number, seed = 3n): number[] {
  const counts = new Array<number>(l.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampleToken(l, o, ctx({ outputIndex: i, seed })).tokenId]++;
  return counts;
}

describe("sampling", () => {
  const greedyCases: Array<{ name: string; l: Float32Array; o: Partial<SamplingOptions>; c: Partial<SampleContext>; want: number }> = [
    { name: "argmax", l: logits(0.1, 2, 1.9, -1), o: {}, c: {}, want: 1 },
    { name: "ties go to the lower id", l: logits(3, 1, 3), o: {}, c: {}, want: 0 },
    { name: "masked id skipped (min_tokens)", l: logits(0, 5, 4), o: {}, c: { maskedIds: [1] }, want: 2 },
    // 5 → 5/2 = 2.5 < 2.6
    { name: "repetition penalty divides a positive seen logit", l: logits(0, 5, 2.6), o: { repetitionPenalty: 2 }, c: { allTokenIds: [1] }, want: 2 },
    // -1 → -2 < -1.5
    { name: "repetition penalty multiplies a negative seen logit", l: logits(-1, -1.5, -9), o: { repetitionPenalty: 2 }, c: { allTokenIds: [0] }, want: 1 },
    { name: "repetition penalty counts prompt tokens", l: logits(0, 5, 2.6), o: { repetitionPenalty: 2 }, c: { allTokenIds: [1, 0], outputStart: 2 }, want: 2 },
    // token 1 seen twice in output: 5 - 2×1.5 = 2 < 2.5
    { name: "frequency penalty scales with the count", l: logits(0, 5, 2.5), o: { frequencyPenalty: 1.5 }, c: { allTokenIds: [1, 1] }, want: 2 },
    { name: "frequency penalty ignores prompt tokens", l: logits(0, 5, 2.5), o: { frequencyPenalty: 1.5 }, c: { allTokenIds: [1, 1], outputStart: 2 }, want: 1 },
    // presence once, regardless of count: 5 - 2 = 3 > 2.5
    { name: "presence penalty is applied once", l: logits(0, 5, 2.5), o: { presencePenalty: 2 }, c: { allTokenIds: [1, 1, 1] }, want: 1 },
    { name: "negative presence penalty favours seen tokens", l: logits(0, 2, 2.5), o: { presencePenalty: -1 }, c: { allTokenIds: [1] }, want: 1 },
    { name: "logit_bias +100 wins over any margin", l: logits(30, -20, 0), o: { logitBias: [[1, 100]] }, c: {}, want: 1 },
    { name: "logit_bias -100 removes the argmax", l: logits(0, 5, 4), o: { logitBias: [[1, -100]] }, c: {}, want: 2 },
    // 5 + 1 = 6 → /2 = 3 < 3.5: the bias is added before the repetition penalty (vLLM's order)
    { name: "logit_bias is added before the penalties", l: logits(0, 5, 3.5), o: { logitBias: [[1, 1]], repetitionPenalty: 2 }, c: { allTokenIds: [1] }, want: 2 },
    { name: "logit_bias does not lift a masked id", l: logits(0, 5, 4), o: { logitBias: [[1, 100]] }, c: { maskedIds: [1] }, want: 2 },
  ];
  for (const c of greedyCases) {
    it(`greedy: ${c.name}`, () => {
      expect(sampleToken(c.l, opts(c.o), ctx(c.c)).tokenId).to.equal(c.want);
    });
  }

  it("is deterministic per (seed, output index) and differs across seeds", () => {
    const l = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const o = opts({ temperature: 1 });
    const draw = (seed: bigint): number[] => Array.from({ length: 40 }, (_, i) => sampleToken(l, o, ctx({ seed, outputIndex: i })).tokenId);
    expect(draw(9n)).to.deep.equal(draw(9n));
    expect(draw(9n)).to.not.deep.equal(draw(10n));
    const u = Array.from({ length: 1000 }, (_, i) => uniformAt(123n, i));
    expect(Math.min(...u)).to.be.at.least(0);
    expect(Math.max(...u)).to.be.below(1);
    expect(u.reduce((a, b) => a + b, 0) / u.length).to.be.closeTo(0.5, 0.05);
  });

  it("samples in proportion to softmax(logits / T)", () => {
    const l = logits(Math.log(1), Math.log(3), Math.log(6));
    const counts = histogram(l, opts({ temperature: 1 }), 4000);
    expect(counts[0] / 4000).to.be.closeTo(0.1, 0.03);
    expect(counts[1] / 4000).to.be.closeTo(0.3, 0.03);
    expect(counts[2] / 4000).to.be.closeTo(0.6, 0.03);
  });

  const maskCases = [
    { name: "top_k=2 keeps the two largest", l: logits(1, 4, 3, 2), o: { topK: 2 }, allowed: [1, 2] },
    { name: "top_k keeps every tie at the threshold", l: logits(1, 4, 3, 3), o: { topK: 2 }, allowed: [1, 2, 3] },
    { name: "top_k=-1 disables", l: logits(1, 1, 1), o: { topK: -1 }, allowed: [0, 1, 2] },
    // probs 0.5, 0.3, 0.2: 0.6 needs the first two
    { name: "top_p=0.6 keeps the smallest set reaching it", l: logits(Math.log(5), Math.log(3), Math.log(2)), o: { topP: 0.6 }, allowed: [0, 1] },
    { name: "top_p tiny keeps the most likely token", l: logits(0, 1, 0.5), o: { topP: 0.01 }, allowed: [1] },
    { name: "top_k then top_p", l: logits(Math.log(5), Math.log(3), Math.log(2), Math.log(9)), o: { topK: 3, topP: 0.5 }, allowed: [3] },
  ];
  for (const c of maskCases) {
    it(`mask: ${c.name}`, () => {
      const counts = histogram(c.l, opts({ temperature: 1, ...c.o }), 600);
      const drawn = counts.flatMap((n, id) => (n > 0 ? [id] : []));
      expect(drawn).to.deep.equal(c.allowed);
      const direct = truncatedCandidates(Float64Array.from(c.l), c.o.topK ?? 0, c.o.topP ?? 1);
      expect([...direct.ids].sort()).to.deep.equal(c.allowed);
      expect(direct.probs.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-9);
    });
  }

  const logprobCases = [
    { name: "greedy, raw logits", o: { topLogprobs: 3 } },
    { name: "temperature 0.5 (processed: after temperature)", o: { temperature: 0.5, topLogprobs: 5, seed: 2n } },
    { name: "with penalties and top_k (before truncation)", o: { temperature: 1, topK: 2, presencePenalty: 1, topLogprobs: 4 } },
  ];
  for (const c of logprobCases) {
    it(`logprobs: ${c.name}`, () => {
      const l = logits(0.5, 2, -1, 1.5, 0, 3);
      const o = opts(c.o);
      const c2 = ctx({ allTokenIds: [5, 1], outputStart: 1 });
      const s = sampleToken(l, o, c2);
      const lp = s.logprob!;
      expect(lp.tokenId).to.equal(s.tokenId);
      expect(lp.top.length).to.equal(o.topLogprobs);
      expect(lp.top.map((t) => t.logprob)).to.deep.equal([...lp.top.map((t) => t.logprob)].sort((a, b) => b - a));
      // Reproduce the documented processing: penalties then temperature, then log-softmax.
      const work = Float64Array.from(l);
      work[1] -= o.presencePenalty; // the only output token (5 is prompt)
      const t = o.temperature > 0 ? o.temperature : 1;
      const ref = logSoftmax(work.map((v) => v / t));
      expect(lp.logprob).to.be.closeTo(ref[s.tokenId], 1e-9);
      expect(ref.reduce((a, v) => a + Math.exp(v), 0)).to.be.closeTo(1, 1e-9);
      expect(lp.top.reduce((a, x) => a + Math.exp(x.logprob), 0)).to.be.below(1 + 1e-9);
    });
  }

  it("returns no logprobs unless asked, and an empty top list for top_logprobs 0", () => {
    expect(sampleToken(logits(1, 2), opts({}), ctx()).logprob).to.equal(undefined);
    expect(sampleToken(logits(1, 2), opts({ topLogprobs: 0 }), ctx()).logprob?.top).to.deep.equal([]);
  });

  const invalid: { name: string; o?: Partial<SamplingOptions>; s?: Partial<typeof DEFAULT_STOP>; param: string }[] = [
    { name: "temperature < 0", o: { temperature: -0.1 }, param: "temperature" },
    { name: "temperature NaN", o: { temperature: NaN }, param: "temperature" },
    { name: "top_p 0", o: { topP: 0 }, param: "top_p" },
    { name: "top_p > 1", o: { topP: 1.1 }, param: "top_p" },
    { name: "top_k -2", o: { topK: -2 }, param: "top_k" },
    { name: "top_k fractional", o: { topK: 1.5 }, param: "top_k" },
    { name: "presence_penalty 2.5", o: { presencePenalty: 2.5 }, param: "presence_penalty" },
    { name: "frequency_penalty -3", o: { frequencyPenalty: -3 }, param: "frequency_penalty" },
    { name: "repetition_penalty 0", o: { repetitionPenalty: 0 }, param: "repetition_penalty" },
    { name: "top_logprobs 21", o: { topLogprobs: 21 }, param: "top_logprobs" },
    { name: "max_tokens 0", s: { maxTokens: 0 }, param: "max_tokens" },
    { name: "min_tokens > max_tokens", s: { maxTokens: 2, minTokens: 5 }, param: "min_tokens" },
    { name: "stop id outside the vocabulary", s: { stopTokenIds: [100] }, param: "stop_token_ids" },
    { name: "logit_bias id one past the vocabulary", o: { logitBias: [[100, 1]] }, param: "logit_bias" },
    { name: "logit_bias id -1", o: { logitBias: [[-1, 1]] }, param: "logit_bias" },
    { name: "logit_bias 100.5", o: { logitBias: [[0, 100.5]] }, param: "logit_bias" },
    { name: "logit_bias -101", o: { logitBias: [[0, -101]] }, param: "logit_bias" },
    { name: "logit_bias NaN", o: { logitBias: [[0, NaN]] }, param: "logit_bias" },
  ];
  for (const c of invalid) {
    it(`validation rejects ${c.name} (INVALID_ARGUMENT naming ${c.param})`, () => {
      const run = (): void => {
        validateSampling(opts(c.o ?? {}), 100);
        validateStop({ ...DEFAULT_STOP, ...c.s }, 100);
      };
      expect(run).to.throw(new RegExp(`^${c.param} `)).that.satisfies((e: { code: number; param: string }) => e.code === Code.INVALID_ARGUMENT && e.param === c.param);
    });
  }

  it("validation accepts the edges of every range", () => {
    expect(() => validateSampling(opts({ temperature: 0, topP: 1, topK: -1, presencePenalty: -2, frequencyPenalty: 2, repetitionPenalty: 0.01, topLogprobs: 20, seed: (1n << 64n) - 1n, logitBias: [[0, -100], [99, 100]] }), 100)).to.not.throw();
    expect(() => validateStop({ maxTokens: 1, minTokens: 1, stopTokenIds: [0, 99], ignoreEos: true }, 100)).to.not.throw();
  });
});
