import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simulateRun } from "../../../bench/sim/sim-report.js";
import { SimWorker } from "../../../bench/sim/sim-worker.js";
import { summarizeTail, tailNote, tailSamples } from "../../../bench/sim/tail-breakdown.js";
import type { TailSample } from "../../../bench/sim/tail-breakdown.js";
import type { RequestRecord } from "../../../bench/stats/record.js";
import { parseTrace } from "../../../bench/workloads/trace-parser.js";
import { tokenRange } from "../../../bench/workloads/types.js";
import { runSim as runSimCli } from "../../../cli/sim.js";
import { decodeMs, prefillMs } from "../../../services/worker/src/runners/mock-runner.js";

const FIXTURE = new URL("../../../../test/fixtures/mooncake-conversation-300.jsonl", import.meta.url);
const WORKER = { numKvBlocks: 4096, blockSize: 64, maxNumSeqs: 64, maxBatchedTokens: 2048, maxWaiting: 1024, contextLength: 131072, vocabSize: 512, eosTokenIds: [1, 2] };
const prompt = (n: number, k = 0): number[] => Array.from({ length: n }, (_, i) => 3 + ((i * 7 + k) % 500));

/** Runs the worker's steps until `id` has its first token; returns the steps' durations. */
function untilFirstToken(worker: SimWorker, id: string): number[] {
  const steps: number[] = [];
  for (;;) {
    steps.push(worker.startStep()!);
    if (worker.finishStep().updates.some((u) => u.request.requestId === id && u.index === 0)) return steps;
  }
}

describe("kvmesh sim: where a request's TTFT went on its worker", () => {
  it("a prompt alone: its 2,048-token chunks' prefill times, no decode share; taken once", () => {
    const worker = new SimWorker("w", WORKER);
    worker.add("r", prompt(5000), 4);
    const steps = untilFirstToken(worker, "r");
    // 5,000 tokens = 2,048 + 2,048 + 904 (one step budget each).
    expect(steps).to.deep.equal([prefillMs(2048), prefillMs(2048), prefillMs(904)]);
    expect(worker.takePrefillTime("r")).to.deep.equal({ steps: 3, decodeSteps: 0, stepsMs: 2 * prefillMs(2048) + prefillMs(904), decodeMs: 0 });
    expect(worker.takePrefillTime("r")).to.equal(undefined);
    // Its decode steps are not prefill: nothing is charged to it afterwards.
    worker.startStep();
    worker.finishStep();
    expect(worker.takePrefillTime("r")).to.equal(undefined);
  });

  it("a prompt whose chunks share steps with another request's decode row: each step whole, and the decode part of it", () => {
    const worker = new SimWorker("w", WORKER);
    worker.add("a", prompt(100), 50);
    untilFirstToken(worker, "a");
    worker.takePrefillTime("a");
    worker.add("b", prompt(3000, 1), 4);
    const usages: number[] = [];
    const steps: number[] = [];
    for (;;) {
      steps.push(worker.startStep()!);
      // The step is timed at the usage after its blocks are allocated, as the mocker times it.
      usages.push(worker.kv.usage);
      if (worker.finishStep().updates.some((u) => u.request.requestId === "b" && u.index === 0)) break;
    }
    // b's 3,000 tokens: 2,047 beside a's decode row (the row takes one token of the budget), then 953.
    expect(steps).to.have.length(2);
    const t = worker.takePrefillTime("b")!;
    expect(t.steps).to.equal(2);
    expect(t.decodeSteps).to.equal(2);
    expect(t.stepsMs).to.be.closeTo(steps[0] + steps[1], 1e-9);
    expect(t.decodeMs).to.be.closeTo(decodeMs(usages[0]) + decodeMs(usages[1]), 1e-9);
    expect(t.stepsMs - t.decodeMs).to.be.closeTo(prefillMs(2047) + prefillMs(953), 1e-9);
  });

  it("in a run: TTFT = wait + own prefill steps for every request, and a request alone on an idle fleet waits 0", () => {
    const records = parseTrace(readFileSync(FIXTURE, "utf8"), 40);
    const setup = { workers: 4, seed: 7, worker: { ...WORKER, numKvBlocks: 16384 }, trace: { records, blockSize: 512, maxOutputLen: 16, seed: 7, tokens: tokenRange(512) } };
    const { row, prefillTimes } = simulateRun(setup, "ttft", 0.2);
    const samples = tailSamples(row.requests, prefillTimes);
    expect(samples).to.have.length(40);
    for (const s of samples) {
      expect(s.waitMs + s.ownPrefillMs).to.be.closeTo(s.ttftMs, 1e-6);
      expect(s.waitMs).to.be.at.least(-1e-6);
      expect(s.decodeShareMs).to.be.within(0, s.ownPrefillMs);
      expect(s.decodeSteps).to.be.within(0, s.prefillSteps);
    }
    // The first request meets an idle fleet.
    expect(samples[0].waitMs).to.be.closeTo(0, 1e-6);
    expect(samples[0].decodeShareMs).to.equal(0);
  });
});

describe("kvmesh sim: tail summary", () => {
  const record = (id: string, ttftMs: number | undefined, cached = 0): Omit<RequestRecord, "itlMs"> => ({
    id, startMs: Number(id.slice(1)), promptTokens: 1000, outputLen: 1, outputTokens: 1, cachedTokens: cached, e2eMs: 1, workerId: "w00", availableTokens: 500,
    ...(ttftMs === undefined ? {} : { ttftMs }),
  });

  it("pairs records with their prefill time; skips those without a TTFT or without a prefill time", () => {
    const times = new Map([["r1", { steps: 2, decodeSteps: 1, stepsMs: 80, decodeMs: 10 }], ["r2", { steps: 1, decodeSteps: 0, stepsMs: 40, decodeMs: 0 }]]);
    const samples = tailSamples([record("r2", 50, 300), record("r1", 100), record("r3", 70)], times);
    expect(samples.map((s) => [s.id, s.waitMs, s.ownPrefillMs, s.decodeShareMs, s.uncachedTokens, s.prefillSteps, s.decodeSteps])).to.deep.equal([
      ["r1", 20, 80, 10, 1000, 2, 1],
      ["r2", 10, 40, 0, 700, 1, 0],
    ]);
    expect(tailSamples([record("r1", undefined)], times)).to.deep.equal([]);
  });

  it("p90s by linear interpolation; the slowest are those at or over the TTFT p90", () => {
    // TTFTs 100..1000 ms; own prefill = TTFT − 10·i ms wait, of which decode 5 ms per request.
    const samples: TailSample[] = Array.from({ length: 10 }, (_, k) => {
      const i = k + 1;
      return { id: `r${i}`, arrivalMs: i, workerId: "w", promptTokens: 100 * i, uncachedTokens: 100 * i, availableTokens: 0, ttftMs: 100 * i, waitMs: 10 * i, ownPrefillMs: 90 * i, decodeShareMs: 5, prefillSteps: 1, decodeSteps: 1 };
    });
    const t = summarizeTail(samples);
    // p90 of 100..1000 = 910; of 90..900 = 819; of 85..895 = 814.
    expect(t.ttftP90Ms).to.be.closeTo(910, 1e-9);
    expect(t.noWaitP90Ms).to.be.closeTo(819, 1e-9);
    expect(t.noWaitNoDecodeP90Ms).to.be.closeTo(814, 1e-9);
    expect(t.slowest).to.deep.equal({ count: 1, uncachedTokens: 1000, ownPrefillMs: 900, decodeShareMs: 5, waitMs: 100 });
    expect(tailNote("ttft trace ×5", t)).to.equal(
      "tail ttft trace ×5: TTFT p90 910 ms; with no wait (each request's own prefill steps as simulated) p90 819 ms, and with no decode rows in them 814 ms; " +
        "the slowest 1: 1000 uncached tokens, own prefill 900 ms (decode rows 5 ms), wait 100 ms on average",
    );
  });

  it("no samples: NaN percentiles, nobody slowest", () => {
    const t = summarizeTail([]);
    expect([t.requests, t.ttftP90Ms, t.noWaitP90Ms, t.slowest.count, t.slowest.waitMs]).to.deep.equal([0, Number.NaN, Number.NaN, 0, 0]);
  });

  it("kvmesh sim --tail-breakdown writes every row's samples and a tail note per row; --clump-order says so in the notes, and takes trace|short|long only", async function () {
    this.timeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), "kvmesh-tail-"));
    try {
      const file = join(dir, "tail.json");
      const argv = ["--trace", FIXTURE.pathname, "--max-requests", "30", "--max-output-len", "8", "--policies", "ttft,round-robin", "--time-scale", "0.2", "--out", join(dir, "report"), "--tail-breakdown", file];
      expect(await runSimCli(argv)).to.equal(0);
      const written = JSON.parse(readFileSync(file, "utf8")) as { rows: { label: string; timeScale: number; samples: TailSample[] }[] };
      expect(written.rows.map((r) => [r.label, r.timeScale, r.samples.length])).to.deep.equal([["ttft", 0.2, 30], ["round-robin", 0.2, 30]]);
      const summary = readFileSync(join(dir, "report", "summary.md"), "utf8");
      expect(summary).to.match(/- tail ttft trace ×5\.000: TTFT p90 \d+ ms; with no wait/);
      expect(summary).to.match(/- tail round-robin trace ×5\.000: TTFT p90 \d+ ms/);
      expect(summary).to.not.match(/--clump-order/);
      expect(await runSimCli([...argv.slice(0, 6), "--policies", "ttft", "--time-scale", "0.2", "--out", join(dir, "short"), "--clump-order", "short"])).to.equal(0);
      expect(readFileSync(join(dir, "short", "summary.md"), "utf8")).to.include("records sharing a timestamp replayed fewest input tokens first (--clump-order short)");
      expect(await runSimCli([...argv.slice(0, 6), "--clump-order", "shortest"])).to.equal(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
