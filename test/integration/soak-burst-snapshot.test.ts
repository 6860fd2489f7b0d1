// soak --burst-snapshot: a heap snapshot of a real process (with --heapsnapshot-signal) once its
// RSS reaches the peak factor, with the heap in use before and after the snapshot's full GC.
import { expect } from "chai";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { burstSnapshotLine, snapshotAtPeak } from "../../bench/soak/burst-snapshot.js";
import { snapshotNodeOptions } from "../../bench/soak/live-heap.js";

/** A process serving prom-client-like heap gauges on 127.0.0.1, holding ~8 MiB of garbage-free arrays. */
const SERVICE = `
const keep = Array.from({ length: 1000 }, () => new Array(1000).fill(1.5));
const server = require("node:http").createServer((req, res) => {
  const m = process.memoryUsage();
  res.end(["nodejs_heap_size_used_bytes " + m.heapUsed, "nodejs_heap_size_total_bytes " + m.heapTotal,
    "nodejs_external_memory_bytes " + m.external, "nodejs_active_handles_total 1", ""].join("\\n"));
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port, keep.length));
`;

describe("soak burst snapshot", function () {
  this.timeout(120_000);
  let child: ChildProcess | undefined;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "kvmesh-burst-snap-"));
  });

  afterEach(() => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("snapshots the named process of the tree and reports its heap before and after the GC", async () => {
    const proc = spawn(process.execPath, ["-e", SERVICE], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_OPTIONS: snapshotNodeOptions(dir) } });
    child = proc;
    const port = await new Promise<number>((resolve) => proc.stdout!.once("data", (b: Buffer) => resolve(Number(String(b).split(" ")[0]))));
    const urls = new Map([[proc.pid!, `http://127.0.0.1:${port}/metrics`]]);
    // The test's own process is the tree's root; the child runs the node executable, so that is its name.
    const snap = await snapshotAtPeak({ meshPid: process.pid, service: process.execPath, urls, dir, inFlight: () => 7, peakFactor: 0 });
    expect(snap).to.include({ service: process.execPath, pid: proc.pid, clientInFlight: 7 });
    expect(snap!.afterS).to.be.lessThan(5);
    expect(statSync(snap!.file).size).to.be.greaterThan(1_000_000);
    expect(snap!.liveBytes).to.be.greaterThan(8 * 2 ** 20); // the arrays it keeps
    expect(snap!.heapUsedBytes).to.be.greaterThan(0);
    expect(burstSnapshotLine(snap!)).to.match(/^burst snapshot of .* \(pid \d+\) .* 7 requests in flight: RSS [\d.]+ MiB, heap used [\d.]+ MiB, live after GC [\d.]+ MiB; .*--file /);
  });

  it("waits for the peak no longer than its limit, and gives nothing for a service not in the tree", async () => {
    expect(await snapshotAtPeak({ meshPid: process.pid, service: "frontend", urls: new Map(), dir, inFlight: () => 0 })).to.equal(undefined);
    const proc = spawn(process.execPath, ["-e", SERVICE], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_OPTIONS: snapshotNodeOptions(dir) } });
    child = proc;
    const port = await new Promise<number>((resolve) => proc.stdout!.once("data", (b: Buffer) => resolve(Number(String(b).split(" ")[0]))));
    const urls = new Map([[proc.pid!, `http://127.0.0.1:${port}/metrics`]]);
    // RSS never doubles: the snapshot comes when the 2 s limit runs out.
    const snap = await snapshotAtPeak({ meshPid: process.pid, service: process.execPath, urls, dir, inFlight: () => 0, peakFactor: 100, waitLimitMs: 2_000 });
    expect(snap!.afterS).to.be.at.least(2);
  });
});
