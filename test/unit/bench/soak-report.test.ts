// The soak's verdicts: RSS / fd windows scaled to the duration, and the status counters.
import { expect } from "chai";
import { burstUnexpected, count500, flatness, liveHeapFlat, okShare, summaryMarkdown } from "../../../bench/soak/soak-report.js";
import type { Tick } from "../../../bench/soak/soak-report.js";
import { rssOf, serviceName, vmRssBytes } from "../../../bench/soak/proc-sampler.js";
import { maxRss, startRssSampler } from "../../../bench/soak/rss-sampler.js";
import type { RssSample } from "../../../bench/soak/rss-sampler.js";
import { metricsUrls, parseHeap } from "../../../bench/soak/heap-sampler.js";
import type { HeapSample } from "../../../bench/soak/heap-sampler.js";

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

  it("open fds are judged at rest: at most 4 more after the run than after the warm-up (34 flat, 35 not, against 30)", () => {
    // Thousands of fds in flight during the run are connections, not leaks.
    const ticks = run(() => 100, (t) => (t >= 180 ? 5000 : 100));
    const rest = (fds: number): Tick => ({ tS: 0, procs: [{ pid: 7, name: "router", rssBytes: MiB, fds }] });
    expect(flatness(ticks, 300, { before: rest(30), after: rest(34) })[0]).to.include({ fdsFlat: true, fdsRestBefore: 30, fdsRestAfter: 34, fdsLateMax: 5000 });
    expect(flatness(ticks, 300, { before: rest(30), after: rest(35) })[0].fdsFlat).to.equal(false);
    expect(flatness(ticks, 300, { before: rest(30), after: rest(20) })[0].fdsFlat).to.equal(true);
  });

  it("without a sample at rest of the process, its fds are not called flat", () => {
    const other: Tick = { tS: 0, procs: [{ pid: 8, name: "worker", rssBytes: MiB, fds: 1 }] };
    expect(flatness(run(() => 100), 300, { before: other, after: other })[0]).to.include({ fdsFlat: false, fdsRestBefore: undefined });
    expect(flatness(run(() => 100), 300)[0].fdsFlat).to.equal(false);
  });

  it("reports the largest heap in use in each window, when scraped", () => {
    const heap = (used: number): HeapSample => ({ heapUsedBytes: used * MiB, heapTotalBytes: 2 * used * MiB, externalBytes: 0, activeHandles: 3 });
    const ticks = run(() => 100).map((t) => ({ tS: t.tS, procs: t.procs.map((p) => (t.tS === 90 ? p : { ...p, heap: heap(t.tS >= 180 ? 40 + t.tS / 100 : 30 + t.tS / 100) })) }));
    expect(flatness(ticks, 300)[0]).to.include({ heapEarlyMaxMiB: 31.2, heapLateMaxMiB: 43 });
    expect(flatness(run(() => 100), 300)[0].heapEarlyMaxMiB).to.equal(undefined);
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

  it("finds each service's metrics URL in kvmesh up's banner", () => {
    const banner = ["kvmesh is up: http://127.0.0.1:8000", "  router        pid 1234    metrics http://127.0.0.1:9102/metrics",
      "  worker-0      pid 99      metrics http://127.0.0.1:40001/metrics", "  frontend      pid 5       no metrics (--metrics-port)"];
    expect([...metricsUrls(banner)]).to.deep.equal([[1234, "http://127.0.0.1:9102/metrics"], [99, "http://127.0.0.1:40001/metrics"]]);
  });

  it("reads the heap gauges of a prefixed exposition, and nothing from one that lacks them", () => {
    const text = ["# HELP kvmesh_router_nodejs_heap_size_used_bytes x", "kvmesh_router_nodejs_heap_size_total_bytes 2000",
      "kvmesh_router_nodejs_heap_size_used_bytes 1000", "kvmesh_router_nodejs_external_memory_bytes 30",
      "kvmesh_router_nodejs_active_handles{type=\"Socket\"} 2", "kvmesh_router_nodejs_active_handles_total 7"].join("\n");
    expect(parseHeap(text)).to.deep.equal({ heapUsedBytes: 1000, heapTotalBytes: 2000, externalBytes: 30, activeHandles: 7 });
    expect(parseHeap("kvmesh_router_nodejs_heap_size_used_bytes 1000")).to.equal(undefined);
  });

  it("the summary lists the live heap at rest only when snapshots were taken", () => {
    const ticks = run(() => 100);
    const base = { config: {}, machine: { nproc: 2, loadavgStart: [1, 1, 1], loadavgEnd: [2, 2, 2] }, steady: { "200": 1 }, bursts: {}, flat: flatness(ticks, 300), ticks };
    const withLive = summaryMarkdown({ ...base, liveHeap: { before: { 7: 20 * MiB }, after: { 7: 22.5 * MiB } } });
    expect(withLive).to.include("| 7 | router | 20 | 22.5 |");
    expect(summaryMarkdown(base)).to.not.include("Live heap");
  });

  it("judges the live heap of the frontend and preprocessor only: ≤ 1.1 × after warm-up + 4 MiB", () => {
    const procs = [{ pid: 1, name: "frontend" }, { pid: 2, name: "preprocessor" }, { pid: 3, name: "worker" }];
    const ticks: Tick[] = Array.from({ length: 31 }, (_, i) => ({ tS: i * 10, procs: procs.map((p) => ({ ...p, rssBytes: MiB, fds: 1 })) }));
    const flat = flatness(ticks, 300);
    const before = { 1: 20 * MiB, 2: 20 * MiB, 3: 20 * MiB };
    expect(liveHeapFlat(flat, { before, after: { 1: 26 * MiB, 2: 26 * MiB, 3: 90 * MiB } })).to.deep.equal([2, 2]); // 26 = 1.1 × 20 + 4
    expect(liveHeapFlat(flat, { before, after: { 1: 26 * MiB + 1, 2: 20 * MiB, 3: 20 * MiB } })).to.deep.equal([2, 1]);
    expect(liveHeapFlat(flat, { before: { 1: 20 * MiB }, after: {} })).to.deep.equal([0, 0]);
    expect(liveHeapFlat(flat, undefined)).to.equal(undefined);
    const summary = (after: Record<number, number>): string => summaryMarkdown({ config: {}, machine: { nproc: 2, loadavgStart: [0, 0, 0], loadavgEnd: [0, 0, 0] }, steady: {}, bursts: {}, flat, ticks, liveHeap: { before, after } });
    expect(summary({ 1: 26 * MiB, 2: 26 * MiB })).to.match(/live heap at rest .* \| 2\/2 \| PASS \|/);
    expect(summary({ 1: 27 * MiB, 2: 26 * MiB })).to.match(/live heap at rest .* \| 1\/2 \| FAIL \|/);
    expect(summary({})).to.match(/live heap at rest .* \| 0\/0 \| FAIL \|/);
  });

  describe("RSS sampled every second", () => {
    // Bursts peak between two 10 s ticks: only the 1 s samples see them.
    const flatTicks = run(() => 100);
    const peaks = (early: number, late: number): RssSample[] => [
      { tS: 59.9, rssBytes: { 7: 999 * MiB } }, // just before minute 2: outside both windows
      { tS: 60, rssBytes: { 7: 150 * MiB } }, // the early window's first instant
      { tS: 94.3, rssBytes: { 7: early * MiB } },
      { tS: 120.1, rssBytes: { 7: 999 * MiB } }, // just after minute 2
      { tS: 179.9, rssBytes: { 7: 999 * MiB } }, // just before minute 4
      { tS: 214.6, rssBytes: { 7: late * MiB, 8: 5 * MiB } },
      { tS: 300, rssBytes: { 7: 100 * MiB } }, // the late window's last instant
    ];

    it("judges each window by its largest sample, ticks and 1 s samples alike, bounds included", () => {
      const [f] = flatness(flatTicks, 300, undefined, peaks(200, 220));
      expect(f).to.include({ rssEarlyMaxMiB: 200, rssLateMaxMiB: 220, rssFlat: true });
      expect(flatness(flatTicks, 300, undefined, peaks(200, 220.1))[0].rssFlat).to.equal(false);
      // Without them, the same run looks flat at 100 MiB: the peaks fell between ticks.
      expect(flatness(flatTicks, 300)[0]).to.include({ rssEarlyMaxMiB: 100, rssLateMaxMiB: 100 });
      // A tick above every 1 s sample still counts.
      expect(flatness(run((t) => (t === 250 ? 300 : 100)), 300, undefined, peaks(200, 220))[0].rssLateMaxMiB).to.equal(300);
      // The window bounds themselves: 150 at 60 s is the early max when the burst is lower.
      expect(flatness(flatTicks, 300, undefined, peaks(120, 120))[0].rssEarlyMaxMiB).to.equal(150);
    });

    it("the largest sample of one process in [from, to]; none when it was not sampled there", () => {
      const samples = peaks(200, 220);
      expect(maxRss(samples, 7, 60, 120)).to.equal(200 * MiB);
      expect(maxRss(samples, 8, 60, 120)).to.equal(undefined);
      expect(maxRss(samples, 8, 0, 300)).to.equal(5 * MiB);
      expect(maxRss([], 7, 0, 300)).to.equal(undefined);
      expect(maxRss(samples, 7, 60, 61)).to.equal(150 * MiB);
      expect(maxRss(samples, 7, 60, 61, true)).to.equal(undefined); // (60, 61]: 60 itself is the previous interval's
    });

    it("the curve shows at each tick the peak since the previous one, and says so", () => {
      const summary = summaryMarkdown({ config: {}, machine: { nproc: 2, loadavgStart: [0, 0, 0], loadavgEnd: [0, 0, 0] }, steady: {}, bursts: {},
        flat: flatness(flatTicks, 300, undefined, peaks(200, 220)), ticks: flatTicks, rssSamples: peaks(200, 220) });
      expect(summary).to.include("the largest RSS sampled every 1 s since the previous tick");
      expect(summary).to.match(/RSS flat, every process \(late max ≤ 1.1 × early max, RSS sampled every 1 s\) \| 1\/1 \| PASS/);
      expect(summary).to.include("| 100 | 200 |"); // 94.3 s falls in (90, 100]
      expect(summary).to.include("| 90 | 100 |");
      expect(summary).to.include("| 60 | 999 |"); // 59.9 s and 60 s belong to (50, 60]...
      expect(summary).to.not.include("| 70 | 150 |");
      expect(summary).to.include("| 70 | 100 |"); // ...not to (60, 70]
      expect(summary).to.include("| 220 | 220 |"); // 214.6 s
      const plain = summaryMarkdown({ config: {}, machine: { nproc: 2, loadavgStart: [0, 0, 0], loadavgEnd: [0, 0, 0] }, steady: {}, bursts: {}, flat: flatness(flatTicks, 300), ticks: flatTicks });
      expect(plain).to.include("RSS curve (MiB per process, every sample)");
      expect(plain).to.include("| 100 | 100 |");
    });

    it("reads VmRSS from /proc/<pid>/status in bytes (0 where a process has none)", () => {
      expect(vmRssBytes("Name:\tnode\nVmRSS:\t  251904 kB\nRssAnon:\t1 kB\n")).to.equal(251904 * 1024);
      expect(vmRssBytes("Name:\tkthreadd\n")).to.equal(0);
      expect(rssOf(process.pid)).to.be.greaterThan(0);
      expect(rssOf(2 ** 22 + 1)).to.equal(undefined); // above Linux's pid_max: never a live process
    });

    it("samples this process at once and stops sampling when stopped", async () => {
      const sampler = startRssSampler(process.pid, () => 1.234, 5);
      await new Promise((r) => setTimeout(r, 30));
      const samples = sampler.stop();
      expect(samples.length).to.be.greaterThan(0);
      expect(samples[0].tS).to.equal(1.2);
      expect(samples[0].rssBytes[process.pid]).to.be.greaterThan(0);
      await new Promise((r) => setTimeout(r, 30));
      expect(samples.length).to.equal(sampler.stop().length);
    });
  });
});
