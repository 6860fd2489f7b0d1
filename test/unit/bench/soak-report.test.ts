// The soak's verdicts: RSS / fd windows scaled to the duration, and the status counters.
import { expect } from "chai";
import { burstUnexpected, count500, flatness, okShare } from "../../../bench/soak/soak-report.js";
import type { Tick } from "../../../bench/soak/soak-report.js";
import { serviceName } from "../../../bench/soak/proc-sampler.js";

const MiB = 2 ** 20;

/** One process whose RSS (MiB) at each 10 s tick of a 300 s run is rss(t). */
function run(rss: (tS: number) => number, fds: (tS: number) => number = () => 50): Tick[] {
  return Array.from({ length: 31 }, (_, i) => ({ tS: i * 10, procs: [{ pid: 7, name: "router", rssBytes: rss(i * 10) * MiB, fds: fds(i * 10) }] }));
}

describe("soak report", () => {
  it("windows of a 300 s run: minute 2 (60–120 s) against minutes 4–5 (180–300 s)", () => {
    // A spike before minute 2 and one inside minute 3 are outside both windows.
    const [f] = flatness(run((t) => (t === 30 || t === 150 ? 999 : t >= 60 && t <= 120 ? 100 : t >= 180 ? 110 : 50)), 300);
    expect(f).to.include({ rssEarlyMaxMiB: 100, rssLateMaxMiB: 110, rssFlat: true });
  });

  it("growth of more than 10% is not flat (110.1 MiB against 100)", () => {
    const [f] = flatness(run((t) => (t >= 180 ? 110.1 : 100)), 300);
    expect(f.rssFlat).to.equal(false);
  });

  it("open fds: 10% plus 16 of slack (126 flat, 127 not, against 100)", () => {
    expect(flatness(run(() => 100, (t) => (t >= 180 ? 126 : 100)), 300)[0].fdsFlat).to.equal(true);
    expect(flatness(run(() => 100, (t) => (t >= 180 ? 127 : 100)), 300)[0].fdsFlat).to.equal(false);
  });

  it("a process seen in only one window is left out", () => {
    expect(flatness(run(() => 100).slice(0, 13), 300)).to.deep.equal([]);
  });

  it("status counters", () => {
    const counts = { "200": 9990, "503+retry-after:overloaded": 5, "500:server_error": 2, "200:stream_error:server_error": 1, "200:stream_error:overloaded": 2 };
    expect(okShare(counts)).to.equal(0.999);
    expect(okShare({})).to.equal(0);
    expect(count500(counts)).to.equal(3);
    expect(burstUnexpected(counts)).to.equal(5);
  });

  it("names a process by its kvmesh service", () => {
    expect(serviceName("node\0/r/dist/cli/kvmesh.js\0router\0--x\0")).to.equal("router");
    expect(serviceName("/usr/bin/node\0")).to.equal("/usr/bin/node");
  });
});
