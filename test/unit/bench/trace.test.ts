import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { parseTrace } from "../../../bench/workloads/trace-parser.js";
import type { TraceRecord } from "../../../bench/workloads/trace-parser.js";
import { blockTokens, scaledPromptLen, traceWorkload } from "../../../bench/workloads/trace.js";
import { tokenRange } from "../../../bench/workloads/types.js";

const tokens = tokenRange(512);
const TRACE = "../shared/traces/mooncake_conversation_trace.jsonl";

describe("bench trace parser", () => {
  it("reads the Mooncake fields and skips blank lines", () => {
    const text = '{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": [0, 1]}\n\n{"timestamp": 27, "input_length": 10, "output_length": 0, "hash_ids": [0]}\n';
    expect(parseTrace(text)).to.deep.equal([
      { timestamp: 0, inputLength: 600, outputLength: 5, hashIds: [0, 1] },
      { timestamp: 27, inputLength: 10, outputLength: 0, hashIds: [0] },
    ]);
    expect(parseTrace(text, 1)).to.have.length(1);
  });

  const bad = [
    { line: "not json", why: /line 2: not JSON/ },
    { line: '{"timestamp": -1, "input_length": 5, "output_length": 1, "hash_ids": []}', why: /line 2: timestamp/ },
    { line: '{"timestamp": 0, "input_length": 0, "output_length": 1, "hash_ids": []}', why: /line 2: input_length/ },
    { line: '{"timestamp": 0, "input_length": 5, "output_length": 1.5, "hash_ids": []}', why: /line 2: output_length/ },
    { line: '{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": ["a"]}', why: /line 2: hash_ids/ },
  ];
  for (const { line, why } of bad) {
    it(`rejects ${line.slice(0, 40)}… naming the line`, () => {
      expect(() => parseTrace(`{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": [1]}\n${line}`)).to.throw(why);
    });
  }

  it("parses the committed trace's first records", function () {
    if (!existsSync(TRACE)) {
      if (process.env.CI === "true") throw new Error(`${TRACE} is missing`);
      return this.skip();
    }
    const records = parseTrace(readFileSync(TRACE, "utf8"), 100);
    expect(records).to.have.length(100);
    for (const r of records) expect(r.hashIds.length).to.equal(Math.ceil(r.inputLength / 512));
  });
});

describe("bench trace block synthesis", () => {
  it("gives identical hash ids identical blocks and different ids different ones", () => {
    expect(blockTokens(42, 512, 1, tokens)).to.deep.equal(blockTokens(42, 512, 1, tokens));
    expect(blockTokens(42, 512, 1, tokens)).to.not.deep.equal(blockTokens(43, 512, 1, tokens));
    expect(blockTokens(42, 512, 1, tokens)).to.not.deep.equal(blockTokens(42, 512, 2, tokens));
    for (const t of blockTokens(7, 512, 1, tokens)) expect(t).to.be.within(3, 511);
  });

  it("makes two requests share exactly the prefix over which their hash ids agree", () => {
    const records: TraceRecord[] = [
      { timestamp: 0, inputLength: 40, outputLength: 3, hashIds: [5, 6, 7] },
      { timestamp: 100, inputLength: 48, outputLength: 4, hashIds: [5, 6, 9] },
    ];
    const w = traceWorkload({ records, timeScale: 0.5, blockSize: 16, seed: 1, tokens });
    const [a, b] = w.chains.map((c) => c.requests[0].prompt());
    expect(a.slice(0, 32)).to.deep.equal(b.slice(0, 32));
    expect(a.slice(32, 40)).to.not.deep.equal(b.slice(32, 40));
    expect(w.chains.map((c) => c.atMs)).to.deep.equal([0, 50]);
    expect(w.chains.map((c) => c.requests[0].outputLen)).to.deep.equal([3, 4]);
  });

  const lens = [
    { input: 6758, ids: 14, bs: 512, want: 6758 },
    { input: 6758, ids: 14, bs: 64, want: 845 },
    { input: 512, ids: 1, bs: 16, want: 16 },
    { input: 1, ids: 1, bs: 16, want: 1 },
    { input: 1030, ids: 3, bs: 16, want: 33 },
  ];
  for (const { input, ids, bs, want } of lens) {
    it(`scales input ${input} over ${ids} ids to ${want} tokens at block size ${bs}`, () => {
      const record = { timestamp: 0, inputLength: input, outputLength: 1, hashIds: Array.from({ length: ids }, (_, i) => i) };
      expect(scaledPromptLen(record, bs)).to.equal(want);
      expect(traceWorkload({ records: [record], timeScale: 1, blockSize: bs, seed: 1, tokens }).chains[0].requests[0].prompt()).to.have.length(want);
    });
  }

  it("cuts prompts to the context, keeping their prefix, and caps outputs", () => {
    const record = { timestamp: 0, inputLength: 2048, outputLength: 500, hashIds: [1, 2, 3, 4] };
    const full = traceWorkload({ records: [record], timeScale: 1, blockSize: 512, seed: 1, tokens }).chains[0].requests[0];
    const cut = traceWorkload({ records: [record], timeScale: 1, blockSize: 512, maxModelLen: 1100, maxOutputLen: 100, seed: 1, tokens }).chains[0].requests[0];
    expect(cut.outputLen).to.equal(100);
    expect(cut.promptLen).to.equal(1000);
    expect(cut.prompt()).to.deep.equal(full.prompt().slice(0, 1000));
  });
});
