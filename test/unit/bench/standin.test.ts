import { expect } from "chai";
import { compareRuns } from "../../../bench/compare/ratios.js";
import type { RunResult } from "../../../bench/report/types.js";
import { createPrefixCacheSim } from "../../../bench/standin/prefix-cache-sim.js";
import type { SimPolicy } from "../../../bench/standin/prefix-cache-sim.js";
import { streamText } from "../../../bench/standin/server.js";
import { createSseParser } from "../../../bench/loadgen/sse-parser.js";
import { readChunk } from "../../../bench/loadgen/chunk.js";

const BS = 4;
const block = (ch: string): number[] => Array.from({ length: BS }, (_, i) => ch.charCodeAt(0) * 16 + i);
const prompt = (word: string): number[] => [...[...word].flatMap(block), 1];

describe("bench stand-in prefix-cache simulation", () => {
  const sends = ["AB", "AB", "CD", "CD", "AB", "CD", "AB", "CD"];
  const cached = (policy: SimPolicy): number[] => {
    const sim = createPrefixCacheSim(2, BS, policy);
    return sends.map((w) => sim.route(prompt(w)).cachedTokens);
  };

  it("kv sends a prefix back to the worker that holds it", () => {
    expect(cached("kv")).to.deep.equal([0, 8, 0, 8, 8, 8, 8, 8]);
  });

  it("round-robin alternates, so every other repeat misses", () => {
    expect(cached("round-robin")).to.deep.equal([0, 0, 0, 0, 8, 8, 8, 8]);
  });

  it("random is seeded and never beats kv", () => {
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    expect(cached("random")).to.deep.equal(cached("random"));
    expect(sum(cached("random"))).to.be.at.most(sum(cached("kv")));
  });

  it("streams exactly n token chunks, then usage and [DONE]", () => {
    const events = createSseParser().push(streamText("m", 3, { prompt_tokens: 9, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } }, "w1"));
    expect(events.at(-1)).to.equal("[DONE]");
    const infos = events.slice(0, -1).map(readChunk);
    expect(infos.filter((i) => i.token)).to.have.length(3);
    expect(infos[2].workerId).to.equal("w1");
    expect(infos[3]).to.include({ completionTokens: 3, cachedTokens: 4 });
  });
});

describe("bench compare ratios", () => {
  const run = (label: string, value: number, p50: number, p90: number, tps: number): RunResult =>
    ({ label, load: { kind: "concurrency", value }, seed: 1, requests: [], stats: { ttftMs: { p50, p90 }, outputTokensPerS: tps } } as unknown as RunResult);

  it("divides each baseline by kv at the same load only", () => {
    const rows = compareRuns([run("kv", 4, 10, 20, 300), run("random", 4, 30, 50, 200), run("round-robin", 4, 20, 20, 240), run("random", 8, 1, 1, 1)]);
    expect(rows).to.deep.equal([
      { load: { kind: "concurrency", value: 4 }, baseline: "random", ttftP50Gain: 3, ttftP90Gain: 2.5, throughputRatio: 1.5 },
      { load: { kind: "concurrency", value: 4 }, baseline: "round-robin", ttftP50Gain: 2, ttftP90Gain: 1, throughputRatio: 1.25 },
    ]);
  });
});
