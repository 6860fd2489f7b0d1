// The one bounded wait for discovery's first answer, and the two owners that use it: the
// worker directory and the replica pools of the next hop. Without the bound a request on a
// silent discovery hung to its own deadline (ReplicaPool.whenReady never settled).
import { expect } from "chai";
import type { Client } from "@grpc/grpc-js";
import { FIRST_ANSWER_WAIT_MS, FirstAnswer } from "#common/discovery/first-answer.js";
import type { Discovery, WatchCallback } from "#common/discovery/index.js";
import { Code, NoWorkerError } from "#common/errors.js";
import { ReplicaPool } from "#common/replica-pool.js";
import { streamWithRetry } from "#common/stream-with-retry.js";
import { PreprocessorClient } from "#contracts/gen/kvmesh/v1/preprocessor.js";

const SILENT: Pick<Discovery, "watch"> = { watch: () => ({ close: () => undefined }) };

/** Runs `fn` with setTimeout recording the delays it is asked for. */
async function recordingDelays<T>(fn: () => Promise<T>): Promise<{ delays: number[]; result: T | unknown }> {
  const real = globalThis.setTimeout;
  const delays: number[] = [];
  globalThis.setTimeout = ((cb: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return real(cb, 0);
  }) as typeof setTimeout;
  try {
    return { delays, result: await fn().catch((e: unknown) => e) };
  } finally {
    globalThis.setTimeout = real;
  }
}

describe("FirstAnswer (discovery's first list, awaited with a bound)", () => {
  it("rejects with UNAVAILABLE naming what is missing and the wait, once the bound passes", async () => {
    const answer = new FirstAnswer("the workers");
    const started = Date.now();
    const err = await answer.wait(40).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NoWorkerError);
    expect((err as NoWorkerError).code).to.equal(Code.UNAVAILABLE);
    expect((err as Error).message).to.equal("discovery has not listed the workers yet (waited 40 ms)");
    expect(Date.now() - started).to.be.at.least(35);
    expect(answer.hasArrived).to.equal(false);
  });

  it("resolves when the answer comes within the bound, and at once (even with 0) once it is there", async () => {
    const answer = new FirstAnswer("x");
    const pending = answer.wait(2000);
    setTimeout(() => answer.arrived(), 10);
    await pending;
    expect(answer.hasArrived).to.equal(true);
    answer.arrived(); // a second answer changes nothing
    await answer.wait(0);
    const { delays } = await recordingDelays(() => answer.wait());
    expect(delays, "no timer once the answer is there").to.deep.equal([]);
  });

  it("waits FIRST_ANSWER_WAIT_MS (5 s) by default", async () => {
    expect(FIRST_ANSWER_WAIT_MS).to.equal(5000);
    const { delays, result } = await recordingDelays(() => new FirstAnswer("x").wait());
    expect(delays).to.deep.equal([5000]);
    expect(result).to.be.instanceOf(NoWorkerError);
  });
});

describe("ReplicaPool.whenReady (bounded like the worker directory's)", () => {
  it("a silent discovery fails a stream with UNAVAILABLE after the pool's wait, not at the call's deadline", async () => {
    const pool = new ReplicaPool(SILENT as Discovery, "preprocessor", PreprocessorClient, { firstAnswerWaitMs: 50 });
    const started = Date.now();
    const err = await (async () => {
      for await (const _ of streamWithRetry<Client, unknown>({ pool, open: () => { throw new Error("no replica should be opened"); }, noneLeft: "none" })) void _;
    })().catch((e: unknown) => e);
    pool.close();
    expect(err).to.be.instanceOf(NoWorkerError);
    expect((err as Error).message).to.equal("discovery has not listed preprocessor replicas yet (waited 50 ms)");
    expect(Date.now() - started).to.be.within(45, 2000);
  });

  it("an answer that comes within the wait is waited for; the default wait is FIRST_ANSWER_WAIT_MS", async () => {
    let deliver: WatchCallback | undefined;
    const late: Pick<Discovery, "watch"> = { watch: (_s, onChange) => ((deliver = onChange), { close: () => undefined }) };
    const pool = new ReplicaPool(late as Discovery, "router", PreprocessorClient, { firstAnswerWaitMs: 2000 });
    const pending = pool.whenReady();
    setTimeout(() => deliver!([]), 20);
    await pending;
    expect(pool.live).to.deep.equal([]);
    pool.close();
    const silent = new ReplicaPool(SILENT as Discovery, "router", PreprocessorClient);
    const { delays, result } = await recordingDelays(() => silent.whenReady());
    silent.close();
    expect(delays).to.deep.equal([5000]);
    expect((result as Error).message).to.equal("discovery has not listed router replicas yet (waited 5000 ms)");
  });
});
