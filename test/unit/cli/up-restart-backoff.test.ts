// The restart policy of `kvmesh up`'s supervisor: 0.5 s doubling to 10 s, reset after a 30 s run.
import { expect } from "chai";
import { RestartBackoff, UP_BACKOFF } from "../../../cli/up/restart-backoff.js";

describe("up restart backoff", () => {
  it("defaults: 0.5 s, doubling, capped at 10 s, stable after 30 s", () => {
    expect(UP_BACKOFF).to.deep.equal({ initialMs: 500, maxMs: 10_000, stableMs: 30_000 });
    const b = new RestartBackoff();
    const delays = Array.from({ length: 8 }, () => b.nextDelayMs(100));
    expect(delays).to.deep.equal([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect(b.consecutiveFailures).to.equal(8);
  });

  it("a run of exactly stableMs resets; one ms less does not", () => {
    const b = new RestartBackoff();
    b.nextDelayMs(0);
    b.nextDelayMs(0);
    expect(b.nextDelayMs(29_999), "29.999 s is not stable").to.equal(2000);
    expect(b.nextDelayMs(30_000), "30 s is stable: back to the first step").to.equal(500);
    expect(b.nextDelayMs(30_001)).to.equal(500);
    expect(b.nextDelayMs(1)).to.equal(1000);
  });

  it("reaches the cap exactly and stays there over a long crash loop (no overflow)", () => {
    const b = new RestartBackoff({ initialMs: 1, maxMs: 8, stableMs: 10 });
    expect([1, 2, 3, 4, 5].map(() => b.nextDelayMs(0))).to.deep.equal([1, 2, 4, 8, 8]);
    const long = new RestartBackoff();
    let last = 0;
    for (let i = 0; i < 5000; i++) last = long.nextDelayMs(0);
    expect(last).to.equal(10_000);
  });

  it("a cap below the next doubling is honoured (not rounded to a power of two)", () => {
    const b = new RestartBackoff({ initialMs: 500, maxMs: 1500, stableMs: 1000 });
    expect([0, 0, 0].map((ran) => b.nextDelayMs(ran))).to.deep.equal([500, 1000, 1500]);
  });

  it("rejects options that cannot work", () => {
    expect(() => new RestartBackoff({ initialMs: 0, maxMs: 10, stableMs: 10 })).to.throw(RangeError);
    expect(() => new RestartBackoff({ initialMs: 10, maxMs: 9, stableMs: 10 })).to.throw(RangeError);
    expect(() => new RestartBackoff({ initialMs: 1, maxMs: 1, stableMs: 0 })).to.throw(RangeError);
    expect(() => new RestartBackoff({ initialMs: 1, maxMs: 1, stableMs: 1 })).to.not.throw();
  });
});
