import { expect } from "chai";
import { readFileSync } from "node:fs";
import { EventQueue } from "../../../bench/sim/event-queue.js";
import { runSim } from "../../../bench/sim/run-sim.js";
import { simulateRow, steadyCompletionRate, timeScaleForLoad } from "../../../bench/sim/sim-report.js";
import type { SimSetup } from "../../../bench/sim/sim-report.js";
import { SimWorker } from "../../../bench/sim/sim-worker.js";
import type { RequestRecord } from "../../../bench/stats/record.js";
import { parseTrace } from "../../../bench/workloads/trace-parser.js";
import { tokenRange } from "../../../bench/workloads/types.js";
import { parseLoads, parsePolicies, parseRowSpecs } from "../../../cli/sim.js";
import { decodeMs, prefillMs } from "../../../services/worker/src/runners/mock-runner.js";

const TRACE = readFileSync(new URL("../../../../test/fixtures/mooncake-conversation-300.jsonl", import.meta.url), "utf8");
const WORKER = { numKvBlocks: 4096, blockSize: 64, maxNumSeqs: 64, maxBatchedTokens: 2048, maxWaiting: 1024, contextLength: 131072, vocabSize: 512, eosTokenIds: [1, 2] };

/** The first `n` records of the committed 300-record slice on 8 mocker-default workers, outputs ≤ 128. */
function setup(n: number, seed = 7): SimSetup {
  return { workers: 8, seed, worker: { ...WORKER, numKvBlocks: 16384 }, trace: { records: parseTrace(TRACE, n), blockSize: 512, maxOutputLen: 128, seed, tokens: tokenRange(512) } };
}

describe("kvmesh sim", () => {
  it("the same seed gives an identical report row; another seed does not", () => {
    const a = simulateRow(setup(80), "prefix-load-scorer", 0.2);
    expect(simulateRow(setup(80), "prefix-load-scorer", 0.2)).to.deep.equal(a);
    expect(simulateRow(setup(80, 8), "prefix-load-scorer", 0.2).requests).to.not.deep.equal(a.requests);
    expect(a.stats.succeeded).to.equal(80);
  });

  it("one request alone: TTFT is exactly the mocker's prefill time of its prompt, each later token one decode step", () => {
    const worker = new SimWorker("w", WORKER);
    worker.add("r", Array.from({ length: 300 }, (_, i) => 3 + (i % 500)), 3);
    expect(worker.startStep()).to.equal(prefillMs(300));
    expect(worker.finishStep().updates.map((u) => u.index)).to.deep.equal([0]);
    const usage = worker.kv.usage;
    expect(worker.startStep()).to.equal(decodeMs(usage));
    worker.finishStep();
    worker.startStep();
    expect(worker.finishStep().updates[0].finishReason).to.not.equal(undefined);
    expect(worker.startStep()).to.equal(undefined);
  });

  it("kv delivers more of the available reuse than round-robin on the fixed slice, and never more than is available", () => {
    const kv = simulateRow(setup(300), "kv", 0.2).stats;
    const rr = simulateRow(setup(300), "round-robin", 0.2).stats;
    for (const s of [kv, rr]) expect(s.deliveredHitRate).to.be.at.most(s.availableReuse + 1e-9);
    expect(kv.deliveredHitRate).to.be.greaterThan(rr.deliveredHitRate);
    expect(kv.ttftMs.p90).to.be.lessThan(rr.ttftMs.p90);
  });

  it("feeds the router's index from the workers' events: a repeated prompt goes where it is cached", () => {
    const records = [0, 1, 2].map((i) => ({ timestamp: i * 1000, inputLength: 2048, outputLength: 4, hashIds: [1, 2, 3, 4] }));
    const result = runSim({
      policy: "kv", workers: 4, seed: 1, worker: WORKER,
      workload: { name: "t", params: {}, chains: records.map((r, i) => ({ atMs: r.timestamp, requests: [{ id: `r${i}`, promptLen: 2048, outputLen: 4, thinkMs: 0, prompt: () => Array.from({ length: 2048 }, (_, k) => 3 + ((k * 7) % 500)) }] })) },
    });
    expect(result.records.map((r) => r.workerId)).to.deep.equal(["w00", "w00", "w00"]);
    expect(result.records.map((r) => r.cachedTokens)).to.deep.equal([0, 1984, 1984]);
    expect([result.availableTokens, result.promptTokens]).to.deep.equal([2 * 1984, 3 * 2048]);
  });
});

describe("kvmesh sim: event queue", () => {
  it("pops by time, and equal times in push order", () => {
    const q = new EventQueue<string>();
    [[5, "a"], [1, "b"], [5, "c"], [0, "d"], [1, "e"], [3, "f"]].forEach(([at, v]) => q.push(at as number, v as string));
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(`${e.at}${e.value}`);
    expect(out).to.deep.equal(["0d", "1b", "1e", "3f", "5a", "5c"]);
    expect(q.size).to.equal(0);
  });
});

describe("kvmesh sim: saturation and loads", () => {
  const done = (ms: number): RequestRecord => ({ id: `r${ms}`, startMs: 0, promptTokens: 1, outputLen: 1, outputTokens: 1, cachedTokens: 0, itlMs: [], e2eMs: ms });

  it("steady rate: the middle 80% of completions over their time span", () => {
    // 11 completions at 0, 100, ..., 1000 ms: t10 = 100, t90 = 900 → 8.8 / 0.8 s = 11 requests/s.
    const records = Array.from({ length: 11 }, (_, i) => done(i * 100));
    expect(steadyCompletionRate(records)).to.be.closeTo(11, 1e-9);
    expect(() => steadyCompletionRate([done(5)])).to.throw(/too few/);
  });

  it("time scale for a load: records ÷ (span × fraction × saturation)", () => {
    const s = setup(300);
    const span = (s.trace.records[299].timestamp - s.trace.records[0].timestamp) / 1000;
    expect(timeScaleForLoad(s, 10, 0.5)).to.be.closeTo(300 / (span * 5), 1e-12);
  });

  it("--token-load-tau-s reaches token-load: 0 s (no stickiness) routes the slice differently from the default 14 s", () => {
    const row = (tau?: number) => simulateRow({ ...setup(200), tokenLoadStickySeconds: tau }, "token-load", 0.2);
    const workersOf = (tau?: number) => row(tau).requests.map((r) => r.workerId);
    expect(workersOf(14)).to.deep.equal(workersOf(undefined));
    expect(workersOf(0)).to.not.deep.equal(workersOf(14));
  });

  it("+queue rows run behind the router queue: a threshold no worker reaches changes nothing, a low one holds requests (longer TTFTs, same completions)", () => {
    const queue = (thresholdTokens: number) => ({ thresholdTokens, maxLength: 1024, maxWaitMs: 10_000 });
    const plain = simulateRow(setup(200), "kv", 0.05);
    const unreached = simulateRow(setup(200), "kv", 0.05, queue(1e9));
    expect(unreached.label).to.equal("kv+queue");
    expect(unreached.requests).to.deep.equal(plain.requests);
    const held = simulateRow(setup(200), "kv", 0.05, queue(1));
    expect(held.stats.succeeded).to.equal(200);
    expect(held.requests).to.not.deep.equal(plain.requests);
    expect(simulateRow(setup(200), "kv", 0.05, queue(1))).to.deep.equal(held); // deterministic
    // Max wait 1 ms: a held request is decided 1 ms after arriving at the latest, so the waits mostly vanish.
    const short = simulateRow(setup(200), "kv", 0.05, { ...queue(1), maxWaitMs: 1 });
    expect(short.stats.succeeded).to.equal(200);
    expect(short.stats.ttftMs.p50).to.be.below(held.stats.ttftMs.p50);
  });

  it("--policies takes +queue rows only with --router-queue-threshold, and the threshold only with a +queue row", () => {
    expect(parseRowSpecs("ttft+queue,kv", 8192)).to.deep.equal([{ policy: "ttft", queued: true }, { policy: "kv", queued: false }]);
    expect(() => parseRowSpecs("ttft+queue", undefined)).to.throw(/needs --router-queue-threshold/);
    expect(parseRowSpecs("ttft", undefined)).to.deep.equal([{ policy: "ttft", queued: false }]);
    expect(() => parseRowSpecs("ttft,kv", 4096)).to.throw(/--router-queue-threshold: no \+queue row/);
    expect(() => parseRowSpecs("fast+queue", 1)).to.throw(/unknown policy "fast"/);
  });

  it("--policies and --load are checked, naming what is wrong", () => {
    expect(parsePolicies("lmetric, kv")).to.deep.equal(["lmetric", "kv"]);
    expect(() => parsePolicies("kv,fastest")).to.throw(/unknown policy "fastest"/);
    expect(() => parsePolicies(" , ")).to.throw(/no policy/);
    expect(parseLoads("0.5,0.8,1.5")).to.deep.equal([0.5, 0.8, 1.5]);
    expect(() => parseLoads("0")).to.throw(/\(0, 1.5\]/);
    expect(() => parseLoads("1.51")).to.throw(/\(0, 1.5\]/);
  });
});
