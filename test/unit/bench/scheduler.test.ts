import { expect } from "chai";
import { runChains } from "../../../bench/loadgen/scheduler.js";
import type { BenchRequest, RequestChain } from "../../../bench/workloads/types.js";

const req = (id: string, thinkMs = 0): BenchRequest => ({ id, promptLen: 1, prompt: () => [5], outputLen: 1, thinkMs });

/** A virtual clock: sleeping advances it; sends finish after `serviceMs` virtual ms. */
function harness(serviceMs: number) {
  let clock = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const log: Array<{ id: string; at: number }> = [];
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const sleep = async (ms: number): Promise<void> => {
    const until = clock + ms;
    while (clock < until) await tick();
  };
  // A pump advances time only while something waits on it.
  let pumping = true;
  const pump = (async () => {
    while (pumping) {
      clock += 1;
      await tick();
    }
  })();
  const send = async (r: BenchRequest, at: number): Promise<void> => {
    log.push({ id: r.id, at });
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await sleep(serviceMs);
    inFlight--;
  };
  const stop = async (): Promise<void> => {
    pumping = false;
    await pump;
  };
  return { now: () => clock, sleep, send, log, maxInFlight: () => maxInFlight, stop };
}

describe("bench scheduler", () => {
  it("keeps at most `concurrency` requests in flight and sends every one, in order", async () => {
    const h = harness(5);
    const chains: RequestChain[] = Array.from({ length: 12 }, (_, i) => ({ requests: [req(`r${i}`)] }));
    await runChains(chains, h.send, { concurrency: 3, now: h.now, sleep: h.sleep });
    await h.stop();
    expect(h.maxInFlight()).to.equal(3);
    expect(h.log.map((l) => l.id)).to.deep.equal(chains.map((c) => c.requests[0].id));
  });

  it("sends a chain's next request only after the previous one finished and its think time", async () => {
    const h = harness(10);
    await runChains([{ requests: [req("a0"), req("a1", 20), req("a2", 20)] }], h.send, { concurrency: 8, now: h.now, sleep: h.sleep });
    await h.stop();
    const at = h.log.map((l) => l.at);
    expect(at[1] - at[0]).to.be.at.least(30);
    expect(at[2] - at[1]).to.be.at.least(30);
  });

  it("holds chains until their arrival time", async () => {
    const h = harness(1);
    await runChains([{ atMs: 40, requests: [req("late")] }, { atMs: 0, requests: [req("early")] }], h.send, { concurrency: Infinity, now: h.now, sleep: h.sleep });
    await h.stop();
    expect(h.log.map((l) => l.id)).to.deep.equal(["early", "late"]);
    expect(h.log[1].at).to.be.at.least(40);
  });

  it("stops sending at the request cap and after the duration", async () => {
    const capped = harness(1);
    await runChains(Array.from({ length: 10 }, (_, i) => ({ requests: [req(`r${i}`)] })), capped.send, { concurrency: 2, maxRequests: 4, now: capped.now, sleep: capped.sleep });
    await capped.stop();
    expect(capped.log).to.have.length(4);
    const timed = harness(10);
    await runChains(Array.from({ length: 10 }, (_, i) => ({ requests: [req(`r${i}`)] })), timed.send, { concurrency: 1, durationMs: 25, now: timed.now, sleep: timed.sleep });
    await timed.stop();
    expect(timed.log.length).to.be.within(2, 4);
    expect(timed.log.every((l) => l.at < 25)).to.equal(true);
  });
});
