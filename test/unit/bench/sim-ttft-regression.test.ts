import { expect } from "chai";
import { readFileSync } from "node:fs";
import { simulateRow } from "../../../bench/sim/sim-report.js";
import { parseTrace } from "../../../bench/workloads/trace-parser.js";
import { tokenRange } from "../../../bench/workloads/types.js";

/**
 * The committed figures of `ttft` on the 300-record slice (test/fixtures), 8 mocker-default
 * workers, ×5, outputs ≤ 128, seed 7 — measured with the prefill clock (p90 996 ms, 7.49% of
 * 7.99% available = 94%; before the clock: p90 1,062 ms; token-load: p90 1,089 ms, 96%; kv: p90
 * 1,184 ms, 58%; ttft before the reuse-loss term: p90 1,090 ms, 80%, which fails here). A change
 * that makes ttft more than 10% worse on either fails here.
 */
const COMMITTED = { ttftP90Ms: 996, deliveredOverAvailable: 0.0749 / 0.0799 };
/** ttft behind the router queue (threshold 4,096 tokens, as in the committed report): p90 1,006 ms, 8.01% of 8.01% (before the clock 1,025 ms, 7.22%; token-load+queue: 1,082 ms). */
const COMMITTED_QUEUED = { ttftP90Ms: 1006, deliveredOverAvailable: 0.0801 / 0.0801 };
const SETUP = {
  workers: 8, seed: 7,
  worker: { numKvBlocks: 16384, blockSize: 64, maxNumSeqs: 64, maxBatchedTokens: 2048, maxWaiting: 1024, contextLength: 131072, vocabSize: 512, eosTokenIds: [1, 2] },
};

describe("kvmesh sim: ttft on the fixed 300-record slice", function () {
  this.timeout(300_000); // a loaded 2-core machine; speed is measured in benchmarks, not here

  it("keeps its TTFT p90 and its share of the available reuse within 10% of the committed figures, without and behind the router queue", () => {
    const records = parseTrace(readFileSync(new URL("../../../../test/fixtures/mooncake-conversation-300.jsonl", import.meta.url), "utf8"));
    const trace = { records, blockSize: 512, maxOutputLen: 128, seed: 7, tokens: tokenRange(512) };
    const queue = { thresholdTokens: 4096, maxLength: 1024, maxWaitMs: 10_000 };
    for (const [stats, committed] of [
      [simulateRow({ ...SETUP, trace }, "ttft", 0.2).stats, COMMITTED],
      [simulateRow({ ...SETUP, trace }, "ttft", 0.2, queue).stats, COMMITTED_QUEUED],
    ] as const) {
      expect(stats.succeeded).to.equal(300);
      expect(stats.ttftMs.p90).to.be.at.most(committed.ttftP90Ms * 1.1);
      expect(stats.deliveredHitRate / stats.availableReuse).to.be.at.least(committed.deliveredOverAvailable * 0.9);
    }
  });
});
