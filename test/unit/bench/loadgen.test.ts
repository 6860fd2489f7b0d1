import { expect } from "chai";
import { withPoissonArrivals } from "../../../bench/loadgen/arrivals.js";
import { arrivalsFor } from "../../../bench/loadgen/run-load.js";
import { httpErrorKind, readChunk } from "../../../bench/loadgen/chunk.js";
import { completionBody, perTokenGaps } from "../../../bench/loadgen/completion-client.js";
import { planLoads } from "../../../bench/loadgen/loads.js";
import { pickModel } from "../../../bench/loadgen/model-info.js";
import { createProgress, progressLine } from "../../../bench/loadgen/progress.js";
import { createSseParser } from "../../../bench/loadgen/sse-parser.js";

describe("bench inter-token gaps", () => {
  it("a chunk of several tokens adds 0 ms gaps for the tokens after its first: one gap per token after the first", () => {
    // 3 chunks carrying 6 tokens: 2 gaps between chunks, 3 tokens that came with another.
    expect(perTokenGaps([4, 5], 3, 6)).to.deep.equal([4, 5, 0, 0, 0]);
  });
  it("one token per chunk, a last chunk without a token, or no usage count: the chunk gaps as they are", () => {
    expect(perTokenGaps([4, 5], 3, 3)).to.deep.equal([4, 5]);
    expect(perTokenGaps([4, 5], 3, 2)).to.deep.equal([4, 5]);
    expect(perTokenGaps([4, 5], 3, undefined)).to.deep.equal([4, 5]);
    expect(perTokenGaps([], 0, 0)).to.deep.equal([]);
  });
});

describe("bench SSE parsing", () => {
  it("returns whole events only, however the text is split", () => {
    const text = 'data: {"a":1}\n\ndata: {"b":2}\r\n\r\n: comment\n\ndata: [DONE]\n\n';
    for (const cut of [1, 5, 13, 14, 20, text.length - 1]) {
      const parser = createSseParser();
      expect([...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))], `cut at ${cut}`).to.deep.equal(['{"a":1}', '{"b":2}', "[DONE]"]);
    }
  });

  it("joins multi-line data", () => {
    expect(createSseParser().push("data: a\ndata: b\n\n")).to.deep.equal(["a\nb"]);
  });
});

describe("bench chunk reading", () => {
  const cases = [
    { data: '{"choices":[{"index":0,"text":"hi","finish_reason":null}]}', want: { token: true } },
    { data: '{"choices":[{"index":0,"text":"","finish_reason":"length"}],"kvmesh":{"worker_id":"w3","migrations":0}}', want: { token: true, workerId: "w3" } },
    { data: '{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":8}}}', want: { token: false, completionTokens: 4, promptTokens: 9, cachedTokens: 8 } },
    { data: '{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"prompt_tokens_details":null}}', want: { token: false, completionTokens: 4, cachedTokens: undefined } },
    { data: '{"error":{"message":"x","type":"server_error","code":"no_worker"}}', want: { token: false, error: "no_worker" } },
    { data: '{"error":{"message":"x","type":"server_error","code":null}}', want: { token: false, error: "server_error" } },
    { data: "{oops", want: { token: false, error: "bad_json" } },
  ];
  for (const { data, want } of cases) it(`reads ${data.slice(0, 50)}`, () => expect(readChunk(data)).to.include(want));

  const statuses = [
    { status: 503, body: '{"error":{"type":"server_error","code":"overloaded"}}', want: "http_503:overloaded" },
    { status: 400, body: '{"error":{"type":"invalid_request_error","code":null}}', want: "http_400:invalid_request_error" },
    { status: 502, body: "<html>bad gateway</html>", want: "http_502" },
  ];
  for (const { status, body, want } of statuses) it(`names HTTP ${status} ${want}`, () => expect(httpErrorKind(status, body)).to.equal(want));
});

describe("bench request body and model info", () => {
  it("sends token ids, forced output length and usage", () => {
    expect(JSON.parse(completionBody("m", [5, 6], 7))).to.deep.equal({ model: "m", prompt: [5, 6], max_tokens: 7, stream: true, stream_options: { include_usage: true }, ignore_eos: true });
  });

  it("picks the model and its limits from /v1/models", () => {
    const body = { data: [{ id: "a", max_model_len: 512 }, { id: "b", max_model_len: 2048, vocab_size: 32000 }] };
    expect(pickModel(body)).to.deep.equal({ id: "a", maxModelLen: 512, vocabSize: undefined });
    expect(pickModel(body, "b")).to.deep.equal({ id: "b", maxModelLen: 2048, vocabSize: 32000 });
    expect(() => pickModel(body, "c")).to.throw(/"c" is not served \(served: a, b\)/);
    expect(() => pickModel({ data: [] })).to.throw(/no model/);
  });
});

describe("bench load plans", () => {
  const cases = [
    { args: ["shared-prefix", undefined, undefined], want: { loads: [{ kind: "concurrency", value: 8 }] } },
    { args: ["multi-turn", "1,4,16", undefined], want: { loads: [1, 4, 16].map((value) => ({ kind: "concurrency", value })) } },
    { args: ["shared-prefix", "32", "2.5,5"], want: { loads: [{ kind: "rate", value: 2.5 }, { kind: "rate", value: 5 }], concurrencyCap: 32 } },
    { args: ["trace", undefined, undefined], want: { loads: [{ kind: "trace", value: 2 }], concurrencyCap: undefined } },
    { args: ["trace", "64", undefined], want: { loads: [{ kind: "trace", value: 2 }], concurrencyCap: 64 } },
  ] as const;
  for (const { args, want } of cases) it(`plans ${JSON.stringify(args)}`, () => expect(planLoads(args[0], args[1], args[2], 0.5)).to.deep.equal(want));
  it("uses the caller's closed-loop default only when --concurrency and --request-rate are unset", () => {
    expect(planLoads("shared-prefix", undefined, undefined, 1, "24,48").loads.map((l) => l.value)).to.deep.equal([24, 48]);
    expect(planLoads("shared-prefix", "4", undefined, 1, "24,48").loads.map((l) => l.value)).to.deep.equal([4]);
    expect(planLoads("shared-prefix", undefined, "5", 1, "24,48")).to.deep.equal({ loads: [{ kind: "rate", value: 5 }], concurrencyCap: undefined });
    expect(planLoads("trace", undefined, undefined, 1, "24,48").concurrencyCap).to.equal(undefined);
  });

  const bad = [
    { args: ["shared-prefix", "0", undefined], why: /--concurrency/ },
    { args: ["shared-prefix", "2.5", undefined], why: /integers/ },
    { args: ["shared-prefix", undefined, "fast"], why: /--request-rate/ },
    { args: ["trace", undefined, "5"], why: /own timestamps/ },
    { args: ["trace", "4,8", undefined], why: /one value/ },
  ] as const;
  for (const { args, why } of bad) it(`rejects ${JSON.stringify(args)}`, () => expect(() => planLoads(args[0], args[1], args[2], 1)).to.throw(why));
});

describe("bench Poisson arrivals", () => {
  const chains = Array.from({ length: 2000 }, () => ({ requests: [] }));
  it("is seeded, starts at 0, rises, and averages the rate", () => {
    const a = withPoissonArrivals(chains, 10, 5).map((c) => c.atMs!);
    expect(withPoissonArrivals(chains, 10, 5).map((c) => c.atMs)).to.deep.equal(a);
    expect(withPoissonArrivals(chains, 10, 6).map((c) => c.atMs)).to.not.deep.equal(a);
    expect(a[0]).to.equal(0);
    for (let i = 1; i < a.length; i++) expect(a[i]).to.be.at.least(a[i - 1]);
    expect(a.at(-1)! / (a.length - 1)).to.be.closeTo(100, 8);
  });
});

describe("bench progress", () => {
  it("draws a bar", () => {
    expect(progressLine("kv", 5, 10, 1, 2000)).to.equal(`kv [${"#".repeat(15)}${".".repeat(15)}] 5/10  2.5 req/s  errors 1`);
  });

  it("writes a line per tenth without a terminal, redraws in place on one", () => {
    let t = 0;
    const plain: string[] = [];
    const p = createProgress("x", 100, { isTTY: false, write: (s) => plain.push(s) }, () => t);
    for (let i = 0; i < 100; i++) {
      t += 1;
      p.tick(false);
    }
    p.done();
    expect(plain).to.have.length(11);
    expect(plain.every((l) => l.endsWith("\n") && !l.includes("\r"))).to.equal(true);
    const tty: string[] = [];
    const q = createProgress("x", 100, { isTTY: true, write: (s) => tty.push(s) }, () => (t += 50));
    for (let i = 0; i < 10; i++) q.tick(i === 3);
    q.done();
    expect(tty.every((l) => l.startsWith("\r"))).to.equal(true);
    expect(tty.at(-1)).to.match(/10\/100 .* errors 1\x1b\[K\n$/);
  });
});

describe("bench arrivals per load kind", () => {
  const workload = { name: "trace", params: {}, chains: [{ atMs: 0, requests: [] }, { atMs: 5000, requests: [] }] };
  const cases = [
    { load: { kind: "concurrency", value: 4 } as const, want: [undefined, undefined] },
    { load: { kind: "trace", value: 1 } as const, want: [0, 5000] },
  ];
  for (const { load, want } of cases) it(`${load.kind}: arrival times ${JSON.stringify(want)}`, () => expect(arrivalsFor(workload, load, 1).map((c) => c.atMs)).to.deep.equal(want));

  it("rate: Poisson times replace the trace's", () => {
    const at = arrivalsFor(workload, { kind: "rate", value: 100 }, 1).map((c) => c.atMs!);
    expect(at[0]).to.equal(0);
    expect(at[1]).to.be.greaterThan(0).and.below(5000);
  });
});
