import { expect } from "chai";
import { readChunk } from "../../../bench/loadgen/chunk.js";
import { renderSummary } from "../../../bench/report/summary-md.js";
import type { BenchReport } from "../../../bench/report/types.js";
import { runSim } from "../../../bench/sim/run-sim.js";
import { aggregate } from "../../../bench/stats/aggregate.js";
import type { RequestRecord } from "../../../bench/stats/record.js";
import { splitShortfall, totalShortfall, ttftPredictionMape } from "../../../bench/stats/shortfall.js";
import type { ReuseAccount } from "../../../bench/stats/shortfall.js";

const account = (available: number, indexAvailable: number, predicted: number, delivered: number): ReuseAccount => ({ available, indexAvailable, predicted, delivered });
const record = (over: Partial<RequestRecord>): RequestRecord => ({
  id: "r", startMs: 0, promptTokens: 1000, outputLen: 4, outputTokens: 4, cachedTokens: 0, ttftMs: 1, itlMs: [], e2eMs: 2,
  availableTokens: 0, indexAvailableTokens: 0, predictedCachedTokens: 0, ...over,
});

describe("shortfall split (available − delivered into routing, index, capacity)", () => {
  const cases: Array<[string, ReuseAccount, { routing: number; index: number; capacity: number }]> = [
    ["all delivered: no shortfall", account(640, 640, 640, 640), { routing: 0, index: 0, capacity: 0 }],
    ["nothing available: no shortfall", account(0, 0, 0, 0), { routing: 0, index: 0, capacity: 0 }],
    ["all on another worker: routing", account(640, 640, 0, 0), { routing: 640, index: 0, capacity: 0 }],
    ["predicted on the chosen worker, evicted before prefill: index", account(640, 640, 640, 0), { routing: 0, index: 640, capacity: 0 }],
    ["part evicted, part on another worker", account(640, 640, 384, 128), { routing: 256, index: 256, capacity: 0 }],
    ["cached nowhere when routed: capacity", account(640, 0, 0, 0), { routing: 0, index: 0, capacity: 640 }],
    ["one block short of available everywhere: capacity 1 block", account(640, 576, 576, 576), { routing: 0, index: 0, capacity: 64 }],
    ["delivered more than predicted (index lagged): no index error", account(640, 640, 0, 640), { routing: 0, index: 0, capacity: 0 }],
    ["delivered beyond the available (computed in flight): negative capacity", account(0, 0, 0, 128), { routing: 0, index: 0, capacity: -128 }],
  ];
  for (const [name, a, parts] of cases) {
    it(name, () => {
      const got = splitShortfall(a);
      expect(got).to.deep.equal(parts);
      expect(a.delivered + got.routing + got.index + got.capacity).to.equal(a.available);
    });
  }

  it("always adds up with delivered to available, and routing and index are never negative (every case on a grid)", () => {
    const v = [0, 64, 128, 192];
    for (const available of v) for (const indexAvailable of v) for (const predicted of v.filter((p) => p <= indexAvailable)) for (const delivered of v) {
      const p = splitShortfall({ available, indexAvailable, predicted, delivered });
      expect(delivered + p.routing + p.index + p.capacity).to.equal(available);
      expect(p.routing).to.be.at.least(0);
      expect(p.index).to.be.at.least(0);
      if (available >= Math.max(indexAvailable, delivered)) expect(p.capacity).to.be.at.least(0);
    }
  });

  it("sums over successful requests only, and is absent when any lacks its routing record or there is none", () => {
    const ok = record({ availableTokens: 640, indexAvailableTokens: 640, predictedCachedTokens: 0, cachedTokens: 0 });
    const failed = record({ error: "http_503:overloaded", availableTokens: 999 });
    expect(totalShortfall([ok, failed])).to.deep.equal({ routing: 640, index: 0, capacity: 0, available: 640, delivered: 0, promptTokens: 1000 });
    expect(totalShortfall([ok, record({ predictedCachedTokens: undefined })])).to.equal(undefined);
    expect(totalShortfall([ok, record({ indexAvailableTokens: undefined })])).to.equal(undefined);
    expect(totalShortfall([ok, record({ availableTokens: undefined })])).to.equal(undefined);
    expect(totalShortfall([failed])).to.equal(undefined);
    expect(totalShortfall([])).to.equal(undefined);
  });

  it("shows the split as summary.md columns, n/a without routing records", () => {
    const withRecord = aggregate([record({ availableTokens: 500, indexAvailableTokens: 400, predictedCachedTokens: 300, cachedTokens: 100 })], 0.5);
    const without = aggregate([record({ predictedCachedTokens: undefined })], 0);
    const report: BenchReport = {
      version: 1, kind: "sim", createdAt: "t", command: "c", model: "m", workload: { name: "w", params: {} }, blockSize: 64, notes: [],
      runs: [{ label: "ttft", load: { kind: "trace", value: 1 }, seed: 1, stats: withRecord, requests: [] }, { label: "kv", load: { kind: "trace", value: 1 }, seed: 1, stats: without, requests: [] }],
    };
    const md = renderSummary(report);
    expect(md).to.include("| delivered hit | available reuse | shortfall: routing | index | capacity |");
    // 100 delivered of 500: routing 100, index 200, capacity 100, of 1000 prompt tokens.
    expect(md).to.include("| 10.0% | 50.0% | 10.0% | 20.0% | 10.0% |");
    expect(md).to.include("| 0.0% | 0.0% | n/a | n/a | n/a |");
  });

  it("reads the routing record from the last chunk's kvmesh object; a null or absent prediction leaves it out", () => {
    const last = { choices: [], kvmesh: { worker_id: "w1", predicted_cached_tokens: 64, predicted_ttft_ms: 12.5, available_cached_tokens: 128, cached_tokens: 64 } };
    expect(readChunk(JSON.stringify(last)).routing).to.deep.equal({ predictedCachedTokens: 64, indexAvailableTokens: 128, predictedTtftMs: 12.5 });
    expect(readChunk(JSON.stringify({ ...last, kvmesh: { ...last.kvmesh, predicted_ttft_ms: null } })).routing).to.deep.equal({ predictedCachedTokens: 64, indexAvailableTokens: 128 });
    expect(readChunk(JSON.stringify({ ...last, kvmesh: { worker_id: "w1" } })).routing).to.equal(undefined);
    expect(readChunk(JSON.stringify({ ...last, kvmesh: { ...last.kvmesh, predicted_cached_tokens: null } })).routing).to.equal(undefined);
  });

  it("the simulator records the routing record: round-robin loses the repeated prompt to routing, kv and ttft deliver it all", () => {
    const worker = { numKvBlocks: 4096, blockSize: 64, maxNumSeqs: 64, maxBatchedTokens: 2048, maxWaiting: 1024, contextLength: 131072, vocabSize: 512, eosTokenIds: [1, 2] };
    const prompt = (): number[] => Array.from({ length: 2048 }, (_, k) => 3 + ((k * 7) % 500));
    const chains = [0, 1, 2, 3, 4].map((i) => ({ atMs: i * 1000, requests: [{ id: `r${i}`, promptLen: 2048, outputLen: 4, thinkMs: 0, prompt }] }));
    const split = (policy: "round-robin" | "kv" | "ttft") => {
      const { records } = runSim({ policy, workers: 4, seed: 1, worker, workload: { name: "t", params: {}, chains } });
      expect(records.every((r) => (r.predictedTtftMs !== undefined) === (policy === "ttft")), policy).to.equal(true);
      return totalShortfall(records)!;
    };
    // 1984 = 31 whole blocks of the 2048-token prompt (the block of its last token is computed).
    expect(split("round-robin")).to.deep.equal({ routing: 3 * 1984, index: 0, capacity: 0, available: 4 * 1984, delivered: 1984, promptTokens: 5 * 2048 });
    for (const policy of ["kv", "ttft"] as const) expect(split(policy), policy).to.deep.equal({ routing: 0, index: 0, capacity: 0, available: 4 * 1984, delivered: 4 * 1984, promptTokens: 5 * 2048 });
  });

  it("TTFT prediction error: mean absolute percentage over successful requests with a prediction; none without", () => {
    expect(ttftPredictionMape([record({ ttftMs: 100 })])).to.equal(undefined);
    expect(ttftPredictionMape([])).to.equal(undefined);
    expect(ttftPredictionMape([record({ ttftMs: 100, predictedTtftMs: 100 })])).to.deep.equal({ mape: 0, requests: 1 });
    const rows = [
      record({ ttftMs: 100, predictedTtftMs: 150 }), record({ ttftMs: 200, predictedTtftMs: 100 }),
      record({ ttftMs: 0, predictedTtftMs: 5 }), record({ ttftMs: undefined, predictedTtftMs: 5 }), record({ ttftMs: 10, predictedTtftMs: 1000, error: "timeout" }),
    ];
    expect(ttftPredictionMape(rows)).to.deep.equal({ mape: 0.5, requests: 2 });
    const stats = aggregate(rows, 0);
    const report: BenchReport = {
      version: 1, kind: "bench", createdAt: "t", command: "c", model: "m", workload: { name: "w", params: {} }, blockSize: 64, notes: [],
      runs: [{ label: "ttft", load: { kind: "rate", value: 2 }, seed: 1, stats, requests: [] }],
    };
    expect(renderSummary(report)).to.include("- ttft 2 req/s: predicted TTFT off by 50.0% on average (mean absolute percentage error over 2 requests)");
    expect(renderSummary({ ...report, runs: [{ ...report.runs[0], stats: aggregate([record({})], 0) }] })).to.not.include("## TTFT prediction");
  });
});
