import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { Forwarder } from "../../../services/router/src/forwarder.js";
import type { RoutePlan } from "../../../services/router/src/decider.js";
import { routingRecord } from "../../../services/router/src/routing-record.js";
import { predictRoute, servableCachedTokens } from "../../../services/router/src/scheduling/route-prediction.js";
import { createSelector } from "../../../services/router/src/scheduling/selector.js";
import { MOCKER_STEP_TIMES } from "../../../services/router/src/scheduling/step-time-model.js";
import { DEFAULT_CHUNK_TOKENS, ttftTerms } from "../../../services/router/src/scheduling/ttft.js";
import { candidate, request } from "./policy-fixtures.js";
import type { Step } from "./router-fakes.js";
import { deciderFor, readyRegistry, scriptedStream, tokens } from "./router-fakes.js";

const BS = 4;
const PROMPT = Array.from({ length: 10 }, (_, i) => 100 + i);

describe("routing record: predictions", () => {
  const servable: Array<[string, number, number, number]> = [
    ["no overlap", 0, 10, 0],
    ["an empty prompt", 3, 0, 0],
    ["a one-token prompt", 1, 1, 0],
    ["a prompt of exactly one block: its block is computed", 1, BS, 0],
    ["one past a block: that block is servable", 1, BS + 1, BS],
    ["overlap beyond the cap: capped at floor((isl − 1) / bs) blocks", 9, 10, 2 * BS],
    ["overlap below the cap", 1, 10, BS],
  ];
  for (const [name, overlap, isl, want] of servable) {
    it(`servable cached tokens: ${name}`, () => expect(servableCachedTokens(overlap, isl, BS)).to.equal(want));
  }

  it("kv predicts the chosen worker's cached tokens and the best anywhere, and no TTFT", () => {
    const input = request([candidate("a", { overlapBlocks: 2 }), candidate("b", { overlapBlocks: 5, activePrefillTokens: 10_000 })], 160, { blockSize: 16 });
    const d = createSelector("kv").selectWorker(input);
    expect(d.workerId).to.equal("a");
    expect(d.prediction).to.deep.equal({ cachedTokens: 32, availableCachedTokens: 80 });
  });

  it("ttft predicts the chosen worker's TTFT in ms (its totalMs, not its score), pinned workers included", () => {
    const input = request([candidate("a", { overlapBlocks: 2 }), candidate("b", { overlapBlocks: 5 })], 160, { blockSize: 16 });
    const totalMs = (i: number): number => ttftTerms(input, input.candidates[i], MOCKER_STEP_TIMES, DEFAULT_CHUNK_TOKENS).totalMs;
    const free = createSelector("ttft").selectWorker(input);
    const chosen = free.workers.find((w) => w.workerId === free.workerId)!;
    expect(free.workerId).to.equal("b");
    // The warmest worker gives no reuse up, so its score is its predicted TTFT.
    expect(free.prediction).to.deep.equal({ cachedTokens: 80, availableCachedTokens: 80, ttftMs: totalMs(1) });
    expect(free.prediction.ttftMs).to.be.closeTo(chosen.cost * 1000, 1e-9);
    const pinned = createSelector("ttft").selectWorker({ ...input, pinnedWorkerId: "a" });
    expect(pinned.prediction).to.deep.equal({ cachedTokens: 32, availableCachedTokens: 80, ttftMs: totalMs(0) });
    // a's score adds the reuse it gives up (3 blocks b holds): the record must not report that as TTFT.
    expect(pinned.prediction.ttftMs!).to.be.lessThan(pinned.workers[0].cost * 1000);
  });

  it("a non-finite TTFT score is left out rather than sent", () => {
    const w = [{ workerId: "a", overlapBlocks: 1, prefillTokens: 0, decodeBlocks: 0, cost: Number.POSITIVE_INFINITY, busy: false }];
    expect(predictRoute(w, 0, 10, BS, 1, Number.POSITIVE_INFINITY)).to.deep.equal({ cachedTokens: BS, availableCachedTokens: BS });
  });

  it("caps the record at the caller's prompt (a migrated attempt routed prompt + generated tokens)", () => {
    const plan = { decision: { prediction: { cachedTokens: 16, availableCachedTokens: 20, ttftMs: 5 } } } as unknown as RoutePlan;
    expect(routingRecord(plan, 18, 12)).to.deep.equal({ predictedCachedTokens: 12, predictedTtftMs: 5, availableCachedTokens: 12, cachedTokens: 12 });
    expect(routingRecord(plan, 8, 100)).to.deep.equal({ predictedCachedTokens: 16, predictedTtftMs: 5, availableCachedTokens: 20, cachedTokens: 8 });
  });
});

describe("routing record: the forwarder stamps it", () => {
  const REQUEST: GenerateRequest = { requestId: "r1", model: "m", tokenIds: PROMPT, stop: { maxTokens: 6, stopTokenIds: [], ignoreEos: false } };
  const first = (ids: number[], cachedTokens: number): GenerateResponse => ({ ...tokens(ids), cachedTokens });
  const last = (ids: number[], cachedTokens: number): GenerateResponse => ({ ...tokens(ids, 1), usage: { promptTokens: 0, completionTokens: 0, cachedTokens } });

  function run(scripts: Record<string, Step[][]>, cachedOn?: string) {
    const { decider, index } = deciderFor(readyRegistry(["w1", "w2"]));
    if (cachedOn !== undefined) {
      const h = hashBlocks(PROMPT, BS);
      index.applyEvents(cachedOn, [{ eventId: 1n, data: { $case: "stored", stored: { blocks: h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] })) } } }]);
    }
    const seen: Array<[string, number | undefined, number]> = [];
    let clock = 0;
    const forwarder = new Forwarder({
      decider, migrationLimit: 3, now: () => (clock += 0.5),
      open: (worker) => scriptedStream(scripts[worker.workerId]?.shift() ?? []),
      observer: { decided: () => {}, migrated: () => {}, retried: () => {}, firstToken: (plan, delivered, s) => seen.push([plan.decision.workerId, delivered, s]) },
    });
    return { forwarder, seen };
  }
  const collect = async (s: AsyncIterable<GenerateResponse>): Promise<GenerateResponse[]> => {
    const out: GenerateResponse[] = [];
    for await (const m of s) out.push(m);
    return out;
  };

  it("on the first message and the last only, with the worker's delivered count; the observer gets the errors' inputs", async () => {
    const { forwarder, seen } = run({ w2: [[first([1], 8), tokens([2]), last([3], 8)]] }, "w2");
    const out = await collect(forwarder.generate(REQUEST, new AbortController().signal));
    const record = { predictedCachedTokens: 8, availableCachedTokens: 8, cachedTokens: 8 };
    expect(out.map((m) => m.routing)).to.deep.equal([record, undefined, record]);
    expect(out[0].workerId).to.equal("w2");
    // The clock ticks 0.5 s a read: sent at 1.0 (after deciding), first token read at 1.5.
    expect(seen).to.deep.equal([["w2", 8, 0.5]]);
  });

  it("a migration sends the new worker's record on its first message", async () => {
    const { forwarder, seen } = run({ w2: [[first([1], 8), { fail: 14 }]], w1: [[first([2], 0), last([3], 0)]] }, "w2");
    const out = await collect(forwarder.generate(REQUEST, new AbortController().signal));
    expect(out.map((m) => m.routing)).to.deep.equal([
      { predictedCachedTokens: 8, availableCachedTokens: 8, cachedTokens: 8 },
      { predictedCachedTokens: 0, availableCachedTokens: 0, cachedTokens: 0 },
      { predictedCachedTokens: 0, availableCachedTokens: 0, cachedTokens: 0 },
    ]);
    expect(seen.map(([w, d]) => [w, d])).to.deep.equal([["w2", 8], ["w1", 0]]);
  });

  it("a worker that does not say its cached tokens is observed as unknown, recorded as 0 until its usage says", async () => {
    const { forwarder, seen } = run({ w1: [[tokens([1]), last([2], 4)]] });
    const out = await collect(forwarder.generate(REQUEST, new AbortController().signal));
    expect(out.map((m) => m.routing?.cachedTokens)).to.deep.equal([0, 4]);
    expect(seen[0][1]).to.equal(undefined);
  });
});
