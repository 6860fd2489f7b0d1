import { expect } from "chai";
import { inFlightSpread } from "../../../bench/sim/load-spread.js";
import { runSim } from "../../../bench/sim/run-sim.js";
import { replicaLabel, simReplicasOf } from "../../../bench/sim/sim-replica-flags.js";
import type { SimRunOptions, SimRunResult } from "../../../bench/sim/run-sim.js";
import type { SimReplicaOptions } from "../../../bench/sim/sim-replicas.js";
import { quantile } from "../../../bench/stats/percentiles.js";
import type { RequestRecord } from "../../../bench/stats/record.js";
import { sharedPrefixWorkload } from "../../../bench/workloads/shared-prefix.js";
import { tokenRange } from "../../../bench/workloads/types.js";

const WORKER = { numKvBlocks: 4096, blockSize: 64, maxNumSeqs: 64, maxBatchedTokens: 2048, maxWaiting: 1024, contextLength: 131072, vocabSize: 512, eosTokenIds: [1, 2] };
const WORKERS = Array.from({ length: 8 }, (_, i) => `w0${i}`);

/**
 * The herd workload: 400 requests of 4,096 tokens, 3/4 of each one of 2 shared prefixes, 32
 * output tokens, one every 8 ms (about 80% of what 8 mocker workers sustain here).
 */
function run(replicas?: SimReplicaOptions, gapMs = 8, burst = 1): SimRunResult {
  const w = sharedPrefixWorkload({
    numRequests: 400, prefixGroups: 2, prefixRatio: 0.75, inputLen: 4096, inputLenStd: 0, outputLen: 32, outputLenStd: 0, seed: 3, tokens: tokenRange(512),
  });
  const workload = { ...w, chains: w.chains.map((c, i) => ({ ...c, atMs: Math.floor(i / burst) * gapMs })) };
  const options: SimRunOptions = { policy: "kv", workload, workers: WORKERS.length, worker: WORKER, seed: 1, replicas };
  return runSim(options);
}

const p90 = (records: readonly RequestRecord[]): number => quantile(records.map((r) => r.ttftMs ?? 0).sort((a, b) => a - b), 0.9);

/** The bar: TTFT p90 and per-worker load spread within 10% of one router's. */
function withinTenPercent(one: SimRunResult, many: SimRunResult): { p90: boolean; spread: boolean } {
  return {
    p90: p90(many.records) <= 1.1 * p90(one.records),
    spread: inFlightSpread(many.records, WORKERS) <= 1.1 * inFlightSpread(one.records, WORKERS),
  };
}

const twoReplicas = (sharing: boolean, propagationMs = 2): SimReplicaOptions => ({ count: 2, sharing, propagationMs, dealing: "round-robin" });

describe("kvmesh sim: router replicas", function () {
  this.timeout(60_000);
  let one: SimRunResult;
  before(() => (one = run()));

  it("two replicas sharing with no propagation delay decide exactly as one router", () => {
    const two = run(twoReplicas(true, 0));
    expect(two.records.map((r) => [r.id, r.workerId, r.ttftMs])).to.deep.equal(one.records.map((r) => [r.id, r.workerId, r.ttftMs]));
    expect(two.agreement!.disagree).to.equal(0);
  });

  it("two sharing replicas (2 ms propagation) reach one router's TTFT p90 and load spread within 10%", () => {
    const two = run(twoReplicas(true));
    expect(withinTenPercent(one, two)).to.deep.equal({ p90: true, spread: true });
    expect(two.replicaInFlight).to.deep.equal([0, 0]);
  });

  it("the same comparison with sharing off shows the herd: it fails", () => {
    const off = run(twoReplicas(false));
    const verdict = withinTenPercent(one, off);
    expect(verdict.p90 && verdict.spread).to.equal(false);
    expect(p90(off.records)).to.be.greaterThan(1.2 * p90(one.records));
    expect(off.agreement).to.deep.equal({ agree: 0, disagree: 0 });
  });

  it("reports the agreement of sampled decisions: 1 in 16 of 400, most agreeing", () => {
    const two = run(twoReplicas(true));
    const judged = two.agreement!.agree + two.agreement!.disagree;
    // Each replica samples 1 in 16 of its 200 decisions (13 each); the peer re-decides them.
    expect(judged).to.equal(26);
    expect(two.agreement!.agree / judged).to.be.at.least(0.8);
  });

  it("random dealing is seeded: the same run twice gives the same records", () => {
    const random: SimReplicaOptions = { ...twoReplicas(true), dealing: "random" };
    expect(run(random).records).to.deep.equal(run(random).records);
  });

  it("load spread: 1 when even or idle, max ÷ mean otherwise", () => {
    const rec = (id: string, workerId: string, startMs: number, e2eMs: number): RequestRecord =>
      ({ id, startMs, e2eMs, workerId, promptTokens: 1, outputLen: 1, outputTokens: 1, cachedTokens: 0, itlMs: [] });
    expect(inFlightSpread([], ["a", "b"])).to.equal(1);
    expect(inFlightSpread([rec("1", "a", 0, 10), rec("2", "b", 0, 10)], ["a", "b"])).to.equal(1);
    // Both on a: at each arrival 2 in flight on a, 0 on b → 2 ÷ 1.
    expect(inFlightSpread([rec("1", "a", 0, 10), rec("2", "a", 0, 10)], ["a", "b"])).to.equal(2);
  });

  it("flags: one replica is the plain router; isolate, delay and random dealing map onto the options; the label reports agreement", () => {
    const base = { routerReplicas: 1, replicaIsolate: false, shareDelayMs: 2, randomDealing: false };
    expect(simReplicasOf(base)).to.equal(undefined);
    expect(simReplicasOf({ ...base, routerReplicas: 2 })).to.deep.equal({ count: 2, sharing: true, propagationMs: 2, dealing: "round-robin" });
    expect(simReplicasOf({ ...base, routerReplicas: 3, replicaIsolate: true, shareDelayMs: 0, randomDealing: true }))
      .to.deep.equal({ count: 3, sharing: false, propagationMs: 0, dealing: "random" });
    expect(replicaLabel("kv", twoReplicas(true), { agree: 3, disagree: 1 })).to.equal("kv ×2 replicas (sharing on, agreement 75% of 4 samples)");
    expect(replicaLabel("kv", twoReplicas(false), { agree: 0, disagree: 0 })).to.equal("kv ×2 replicas (sharing off)");
  });
});
