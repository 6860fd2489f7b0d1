import { expect } from "chai";
import { MOCKER_STEP_TIMES, decodeStepMs, prefillStepMs } from "../../../services/router/src/scheduling/step-time-model.js";
import { CALIBRATION_ALPHA, TtftCalibration } from "../../../services/router/src/scheduling/ttft-calibration.js";
import { createTtft, fleetView, ttftTerms } from "../../../services/router/src/scheduling/ttft.js";
import { createSelector, selectorOf } from "../../../services/router/src/scheduling/selector.js";
import { decodeMs, prefillMs } from "../../../services/worker/src/runners/mock-runner.js";
import { candidate, request } from "./policy-fixtures.js";

const ms3 = (v: number): number => Math.round(v * 1000) / 1000;

describe("ttft policy", () => {
  // isl 3,000 in blocks of 64 (47 request blocks), chunks of 2,048 tokens, the mocker's polynomial.
  const input = () => ({
    ...request([
      // 40 blocks cached → 440 uncached + 1,000 queued = 1,440 in one chunk; 2 in flight at usage 0.5.
      candidate("A", { overlapBlocks: 40, activePrefillTokens: 1000, requestsInFlight: 2, kvUsage: 0.5, newBlocks: 7 }),
      // nothing cached → 3,000 = 2,048 + 952; idle; 47 new blocks but 40 free → 7 blocks short.
      candidate("B", { overlapBlocks: 0, newBlocks: 47, freeBlocks: 40 }),
      // 46 cached → 56 + 5,000 queued = 5,056 = 2 × 2,048 + 960; 5 in flight at usage 0.2.
      candidate("C", { overlapBlocks: 46, activePrefillTokens: 5000, requestsInFlight: 5, kvUsage: 0.2, newBlocks: 1 }),
    ], 3000),
    blockSize: 64,
    requestBlocks: 47,
  });

  it("worked example, every term in ms: A 65.549 + 30.852 reuse lost = 96.400; B 91.499 + 236.531 = 328.029; C 176.729 + 0", () => {
    const i = input();
    const fleet = fleetView(i);
    // C holds the most (46 × 64 = 2,944 tokens); 2 + 0 + 5 requests in flight over 3 workers.
    expect(fleet).to.deep.equal({ bestCachedTokens: 2944, meanRequestsInFlight: 7 / 3 });
    const rows = i.candidates.map((c) => ttftTerms(i, c, MOCKER_STEP_TIMES, 2048, fleet));
    expect(rows.map((t) => [t.queuedTokens, t.uncachedTokens, t.fullChunks, t.restTokens, t.lostReuseTokens])).to.deep.equal([
      [1000, 440, 0, 1440, 384], [0, 3000, 1, 952, 2944], [5000, 56, 2, 960, 0],
    ]);
    // prefill(t) = 4.209989e-7·t² + 0.01518344·t + 16.50142: prefill(1440) = 39.239, prefill(2048) = 49.363,
    // prefill(952) = 31.338, prefill(960) = 31.466. decode(u) = −25.74·u² + 54.01·u + 5.74: decode(0.5) = 26.31, decode(0.2) = 15.5124.
    // Peak prefill: 49.363 / 2,048 = 0.024103 ms a token; reuse lost = tokens × 0.024103 × (1 + 7/3).
    expect(rows.map((t) => [ms3(t.prefillMs), ms3(t.decodeMs), ms3(t.evictionMs), ms3(t.totalMs), ms3(t.reuseLossMs), ms3(t.scoreMs)])).to.deep.equal([
      [39.239, 26.31, 0, 65.549, 30.852, 96.4], // 384 × 0.024103 × 10/3
      [80.701, 0, 10.798, 91.499, 236.531, 328.029], // eviction: 7 blocks × 64 = 448 tokens at 2,048 per 49.363 ms
      [130.191, 46.537, 0, 176.729, 0, 176.729],
    ]);
    const d = createSelector("ttft", { now: () => 0 }).selectWorker(i);
    expect(d.workerId).to.equal("A");
    expect(d.workers.map((w) => Number(w.cost.toFixed(6)))).to.deep.equal([0.0964, 0.328029, 0.176729]);
  });

  it("sticky until the warm worker's queue costs more than the recompute costs the fleet: W wins at 4,000 and 9,000 queued tokens, C at 9,500", () => {
    // W holds 2,944 of 3,000 tokens with 3 in flight; C is idle and cold. Mean in flight 1.5, so
    // C pays 2,944 × 0.024103 × 2.5 = 177.398 ms of reuse lost on top of its 80.701 ms prefill.
    const at = (queued: number) => ({
      ...request([candidate("W", { overlapBlocks: 46, activePrefillTokens: queued, requestsInFlight: 3, newBlocks: 1 }), candidate("C", { newBlocks: 47 })], 3000),
      blockSize: 64,
      requestBlocks: 47,
    });
    const scores = (queued: number) => {
      const i = at(queued);
      return i.candidates.map((c) => ms3(ttftTerms(i, c, MOCKER_STEP_TIMES, 2048, fleetView(i)).scoreMs));
    };
    // 4,056 = 2,048 + 2,008: 49.363 + 48.687 + 2 × 5.74 = 109.53 — a greedy TTFT (80.701) would leave W.
    expect(scores(4000)).to.deep.equal([109.53, 258.098]);
    expect(scores(9000)).to.deep.equal([256.086, 258.098]); // 4 × 49.363 + prefill(864) + 5 × 5.74
    expect(scores(9500)).to.deep.equal([264.147, 258.098]); // 4 × 49.363 + prefill(1364) + 5 × 5.74
    const pick = (queued: number) => createSelector("ttft", { now: () => 0 }).selectWorker(at(queued)).workerId;
    expect([pick(4000), pick(9000), pick(9500)]).to.deep.equal(["W", "W", "C"]);
  });

  it("without a fleet view (the calibration's prediction) or with every worker equally warm, no reuse is lost", () => {
    const i = input();
    expect(ttftTerms(i, i.candidates[1], MOCKER_STEP_TIMES, 2048)).to.include({ lostReuseTokens: 0, reuseLossMs: 0 });
    const cold = { ...i, candidates: i.candidates.map((c) => ({ ...c, overlapBlocks: 0 })) };
    expect(fleetView(cold).bestCachedTokens).to.equal(0);
    expect(cold.candidates.map((c) => ttftTerms(cold, c, MOCKER_STEP_TIMES, 2048, fleetView(cold)).reuseLossMs)).to.deep.equal([0, 0, 0]);
    expect(fleetView({ ...i, candidates: [] })).to.deep.equal({ bestCachedTokens: 0, meanRequestsInFlight: 0 });
  });

  it("no eviction cost when the free blocks hold the new blocks exactly; one block short costs one block's prefill", () => {
    const i = input();
    const at = (free: number) => ttftTerms(i, { ...i.candidates[1], freeBlocks: free }, MOCKER_STEP_TIMES, 2048).evictionMs;
    expect(at(47)).to.equal(0);
    expect(ms3(at(46))).to.equal(ms3((64 / 2048) * prefillMs(2048)));
  });

  it("the router's step-time model is the mocker's polynomial", () => {
    for (const t of [0, 1, 100, 2048, 5000]) expect(prefillStepMs(MOCKER_STEP_TIMES, t)).to.be.closeTo(t === 0 ? 0 : prefillMs(t), 1e-9);
    for (const u of [0, 0.3, 0.99, 1]) expect(decodeStepMs(MOCKER_STEP_TIMES, u)).to.be.closeTo(decodeMs(u), 1e-9);
  });

  it("refits per worker from observed first tokens and reports its MAPE", () => {
    let now = 0;
    const policy = createTtft({ now: () => now });
    const s = selectorOf(policy);
    const i = input();
    s.admitted(i, "A", "r1"); // model 65.549 ms, factor 1
    now = 131.097; // observed twice the prediction
    s.firstToken("r1");
    expect(policy.calibration.factor("A")).to.be.closeTo(1 - CALIBRATION_ALPHA + CALIBRATION_ALPHA * 2, 1e-3);
    expect(policy.calibration.mape("A")).to.be.closeTo(0.5, 1e-3); // |65.5 − 131.1| / 131.1
    expect(policy.calibration.mape("B")).to.equal(undefined);
    // B's score is unchanged; A's (prediction and reuse lost alike) grows by its factor.
    expect(s.selectWorker(i).workers[0].cost).to.be.closeTo(0.0964 * 1.05, 1e-5);
  });

  it("the factor is a ratio of moving sums: a short request 3× slow moves it less than a long one on time pulls it back", () => {
    let now = 0;
    const c = new TtftCalibration(() => now);
    c.sent("short", "w", 10);
    now = 30;
    c.firstToken("short");
    // observed 0.95 × 10 + 0.05 × 30 = 11 over model 10
    expect(c.factor("w")).to.be.closeTo(1.1, 1e-9);
    c.sent("long", "w", 1000);
    now += 1000;
    c.firstToken("long");
    // (0.95 × 11 + 0.05 × 1000) / (0.95 × 10 + 0.05 × 1000) = 60.45 / 59.5; an average of ratios would stay at 1.095
    expect(c.factor("w")).to.be.closeTo(60.45 / 59.5, 1e-9);
  });

  it("calibration keeps its factor within [1/4, 4] and ignores unknown or ended requests", () => {
    let now = 0;
    const c = new TtftCalibration(() => now);
    for (let k = 0; k < 500; k++) {
      c.sent(`r${k}`, "w", 1);
      now += 1000;
      c.firstToken(`r${k}`);
    }
    expect(c.factor("w")).to.equal(4);
    c.sent("x", "w", 10);
    c.forget("x");
    c.firstToken("x");
    c.firstToken("never-sent");
    expect(c.factor("w")).to.equal(4);
  });
});

describe("ttft calibration metric", () => {
  it("kvmesh_router_ttft_mape shows each calibrated worker's error; other modes report none", async () => {
    const { Registry } = await import("prom-client");
    const { createRouterMetrics } = await import("../../../services/router/src/router-metrics.js");
    let now = 0;
    const selector = createSelector("ttft", { now: () => now });
    selector.admitted(request([candidate("w1")], 2048, { blockSize: 64, requestBlocks: 32 }), "w1", "r");
    now = 2 * prefillMs(2048); // observed twice the prediction → 50% error
    selector.firstToken("r");
    const registry = new Registry();
    createRouterMetrics(registry).setTtftMapeSource(() => ["w1", "w2"].map((workerId) => ({ workerId, model: "m", mape: selector.ttftMape(workerId) })));
    const text = await registry.metrics();
    expect(text).to.match(/kvmesh_router_ttft_mape\{model="m",worker_id="w1"\} 0\.5\n/);
    expect(text).to.not.include('worker_id="w2"');
    expect(createSelector("kv").ttftMape("w1")).to.equal(undefined);
  });
});
