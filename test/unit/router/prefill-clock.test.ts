import { expect } from "chai";
import { PrefillClock } from "../../../services/router/src/scheduling/prefill-clock.js";
import { MOCKER_STEP_TIMES, prefillStepMs } from "../../../services/router/src/scheduling/step-time-model.js";
import { createSelector, selectorOf } from "../../../services/router/src/scheduling/selector.js";
import { createTtft, ttftTerms } from "../../../services/router/src/scheduling/ttft.js";
import { candidate, request } from "./policy-fixtures.js";

const ms3 = (v: number): number => Math.round(v * 1000) / 1000;

describe("ttft's prefill clock", () => {
  it("queues each worker's sent prefills first come, first served; a worker never sent anything has no backlog", () => {
    let now = 0;
    const clock = new PrefillClock(() => now);
    expect(clock.backlogMs("w")).to.equal(0);
    expect(clock.pendingTokens("w")).to.equal(0);
    clock.sent("r1", "w", 100, 4000);
    now = 40;
    clock.sent("r2", "w", 50, 1000); // starts at 100, done at 150
    clock.sent("x", "v", 30, 500);
    expect(clock.backlogMs("w")).to.equal(110);
    expect(clock.pendingTokens("w")).to.equal(5000);
    expect(clock.backlogMs("v")).to.equal(30);
    clock.sent("r1", "w", 999, 999); // already pending: ignored
    expect(clock.backlogMs("w")).to.equal(110);
  });

  it("a first token 30 ms late makes the requests behind it 30 ms later; the last one's empties the worker", () => {
    let now = 0;
    const clock = new PrefillClock(() => now);
    clock.sent("r1", "w", 100, 4000);
    clock.sent("r2", "w", 50, 1000); // predicted 150
    now = 130; // r1 predicted at 100
    clock.settled("r1");
    expect(clock.backlogMs("w")).to.equal(50); // 180 − 130
    expect(clock.pendingTokens("w")).to.equal(1000);
    now = 160; // r2 now predicted at 180: 20 ms early
    clock.settled("r2");
    expect(clock.backlogMs("w")).to.equal(0);
    expect(clock.pendingTokens("w")).to.equal(0);
    now = 170;
    clock.sent("r3", "w", 10, 64); // an empty worker starts now, not at an old drain time
    expect(clock.backlogMs("w")).to.equal(10);
  });

  it("an early first token pulls the queue forward; the backlog never goes below 0 while requests are late", () => {
    let now = 0;
    const clock = new PrefillClock(() => now);
    clock.sent("r1", "w", 100, 1);
    clock.sent("r2", "w", 100, 1); // 200
    clock.sent("r3", "w", 100, 1); // 300
    now = 60; // r1 40 ms early: r2 at 160, r3 at 260
    clock.settled("r1");
    expect(clock.backlogMs("w")).to.equal(200);
    now = 400; // r2, r3 both overdue
    expect(clock.backlogMs("w")).to.equal(0);
    clock.sent("r4", "w", 10, 1); // starts now: the overdue ones are not counted twice
    expect(clock.backlogMs("w")).to.equal(10);
  });

  it("unknown and already settled requests change nothing", () => {
    let now = 0;
    const clock = new PrefillClock(() => now);
    clock.sent("r1", "w", 100, 7);
    clock.settled("nope");
    now = 10;
    clock.settled("r1");
    clock.settled("r1");
    expect([clock.backlogMs("w"), clock.pendingTokens("w")]).to.deep.equal([0, 0]);
  });

  it("ttft terms: backlog from the clock plus the request's own chunks; only tokens the clock does not know count as queued", () => {
    const clock = { backlogMs: (id: string) => (id === "A" ? 120 : 0), pendingTokens: (id: string) => (id === "A" ? 1000 : 0) };
    // A: 1,500 tokens in flight of which the clock holds 1,000 → 500 queued + 1,000 uncached = 1,500 in one chunk.
    const i = { ...request([candidate("A", { activePrefillTokens: 1500 }), candidate("B", { activePrefillTokens: 300 })], 1000), blockSize: 64, requestBlocks: 16 };
    const [a, b] = i.candidates.map((c) => ttftTerms(i, c, MOCKER_STEP_TIMES, 2048, undefined, clock));
    expect([a.backlogMs, a.queuedTokens, a.restTokens, ms3(a.prefillMs), ms3(a.totalMs)]).to.deep.equal([120, 500, 1500, ms3(prefillStepMs(MOCKER_STEP_TIMES, 1500)), ms3(120 + prefillStepMs(MOCKER_STEP_TIMES, 1500))]);
    // prefill(1,500) = 4.209989e-7·1500² + 0.01518344·1500 + 16.50142 = 40.224 ms; B: prefill(1,300) = 36.951 ms.
    expect(ms3(a.totalMs)).to.equal(160.224);
    expect([b.backlogMs, b.queuedTokens, ms3(b.totalMs)]).to.deep.equal([0, 300, 36.951]);
    // More tokens in the clock than in flight (a reservation already released): nothing queued, not negative.
    expect(ttftTerms(i, { ...i.candidates[0], activePrefillTokens: 200 }, MOCKER_STEP_TIMES, 2048, undefined, clock).queuedTokens).to.equal(0);
  });

  it("prefers the worker whose long prefill is nearly done over one that just started the same prompt (tokens in flight alike)", () => {
    let now = 0;
    const policy = createTtft({ now: () => now });
    const s = selectorOf(policy);
    // 20,480 tokens on an idle worker: 10 chunks × 49.3629 = 493.629 ms.
    const long = (w: string) => ({ ...request([candidate(w, { newBlocks: 320 })], 20480), blockSize: 64, requestBlocks: 320 });
    s.admitted(long("w2"), "w2", "early");
    now = 300;
    s.admitted(long("w1"), "w1", "late");
    now = 400;
    expect(ms3(policy.clock.backlogMs("w2"))).to.equal(93.629);
    expect(ms3(policy.clock.backlogMs("w1"))).to.equal(393.629);
    const next = { ...request([candidate("w1", { activePrefillTokens: 20480, requestsInFlight: 1 }), candidate("w2", { activePrefillTokens: 20480, requestsInFlight: 1 })], 640), blockSize: 64, requestBlocks: 10 };
    expect(s.selectWorker(next).workerId).to.equal("w2");
    // Counting tokens in flight, the two look the same and the tie goes to the lower id.
    expect(createSelector("ttft", { now: () => now }).selectWorker(next).workerId).to.equal("w1");
    // The routing record predicts the backlog too: 93.629 + prefill(640) + one decode step at usage 0.
    expect(ms3(s.selectWorker(next).prediction.ttftMs!)).to.equal(ms3(93.6291 + prefillStepMs(MOCKER_STEP_TIMES, 640) + 5.74));
    // Its first token (on time) and the other's end without one leave no backlog.
    now = 493.63;
    s.firstToken("early");
    s.finished("late");
    expect([policy.clock.backlogMs("w1"), policy.clock.backlogMs("w2")]).to.deep.equal([0, 0]);
  });
});
