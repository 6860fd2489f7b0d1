import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { closedLoop } from "../../../bench/mesh/closed-loop.js";
import { category, MAX_GAP_INTERVALS, selfTimes } from "../../../bench/mesh/profile-summary.js";
import { cpuMicros, statCpuMicros } from "../../../bench/mesh/proc-cpu.js";

describe("bench:mesh parts", () => {
  it("reads utime (field 14) and stime (field 15) after the command name, even one with spaces and parentheses", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = "4242 (node (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 30 0 0 20 0 11 0";
    expect(statCpuMicros(stat)).to.equal((250 + 30) * 10_000);
  });

  it("reads this process's own CPU time from /proc, and it does not go backwards", () => {
    const before = cpuMicros(process.pid);
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += i;
    expect(x).to.be.greaterThan(0);
    expect(cpuMicros(process.pid)).to.be.at.least(before);
  });

  it("sends exactly the request limit and never more than `concurrency` at once", async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    const { outcomes } = await closedLoop(3, async (i) => {
      seen.push(i);
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return { outputTokens: 1 };
    }, { requests: 10 });
    expect(outcomes).to.have.length(10);
    expect(peak).to.equal(3);
    expect(seen.sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("stops sending at the duration and waits for what is in flight", async () => {
    const { outcomes, wallMs } = await closedLoop(2, async () => {
      await new Promise((r) => setTimeout(r, 20));
      return { outputTokens: 1 };
    }, { durationMs: 50 });
    expect(outcomes.length).to.be.within(2, 10);
    expect(wallMs).to.be.at.least(50);
  });

  for (const [name, script] of [["bench:mesh", "../../../bench/mesh-bench.js"], ["bench:soak", "../../../bench/soak/soak.js"]]) {
    it(`${name} --help lists its flags and no KVMESH_* variable (it reads none)`, () => {
      const help = execFileSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), "--help"], { encoding: "utf8", env: { ...process.env, KVMESH_OUT: "/nonexistent" } });
      expect(help).to.match(new RegExp(`^usage: kvmesh ${name} \\[flags\\]`));
      expect(help).to.contain("--out <string>").and.to.contain("--help");
      expect(help).not.to.contain("KVMESH_");
    });
  }
});

describe("bench:mesh hops", () => {
  it("--help lists its flags and no KVMESH_* variable; a request count below 10 is refused naming the flag", () => {
    const script = fileURLToPath(new URL("../../../bench/mesh-hops.js", import.meta.url));
    const help = execFileSync(process.execPath, [script, "--help"], { encoding: "utf8" });
    expect(help).to.match(/^usage: kvmesh bench:mesh hops \[flags\]/);
    expect(help).to.contain("--requests <n>").and.to.contain("--block <n>");
    expect(help).not.to.contain("KVMESH_");
    const refused = spawnSync(process.execPath, [script, "--requests", "9"], { encoding: "utf8" });
    expect(refused.status).to.equal(2);
    expect(refused.stderr).to.contain("--requests");
  });
});

describe("bench:mesh profile-summary", () => {
  const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
  it("names a frame's category: package, Node subsystem, our file, or the VM's own", () => {
    expect(category(frame("push", "file:///x/node_modules/@grpc/grpc-js/build/src/subchannel-call.js"))).to.equal("@grpc/grpc-js");
    expect(category(frame("f", "file:///x/node_modules/pino/lib/proto.js"))).to.equal("pino");
    expect(category(frame("read", "node:internal/streams/readable"))).to.equal("node:streams");
    expect(category(frame("emit", "node:events"))).to.equal("node:events");
    expect(category(frame("push", "file:///w/dist/services/router/src/forwarder.js"))).to.equal("services/router/src/forwarder.js");
    expect(category(frame("(garbage collector)", ""))).to.equal("(garbage collector)");
    expect(category(frame("writev", ""))).to.equal("native writev");
  });

  it("sums self time per label within the window, idle left out; a sample's time runs to the next sample", () => {
    const profile = {
      nodes: [{ id: 1, callFrame: frame("(idle)", "") }, { id: 2, callFrame: frame("a", "node:events", 4) }, { id: 3, callFrame: frame("b", "node:events", 9) }],
      startTime: 1000,
      // samples at 1010 (a), 1030 (b), 1060 (idle), 1100 (a), 1200 (b)
      samples: [2, 3, 1, 2, 3],
      timeDeltas: [10, 20, 30, 40, 100],
    };
    // a: 20 (to b) + 100 (to the last sample); b: 30 (to idle) + 0 (the last sample has no next).
    expect(selfTimes(profile, "function", 0, 0)).to.deep.equal({ busy: 150, rows: [["a node:events:5", 120], ["b node:events:10", 30]] });
    expect(selfTimes(profile, "category", 1020, 1150)).to.deep.equal({ busy: 130, rows: [["node:events", 130]] });
  });

  it(`counts a gap longer than ${MAX_GAP_INTERVALS} median intervals as one interval (the process was descheduled), and one of exactly ${MAX_GAP_INTERVALS} as it is`, () => {
    const nodes = [{ id: 2, callFrame: frame("a", "node:events", 4) }, { id: 3, callFrame: frame("b", "node:events", 9) }];
    // median interval 10: b's first sample is followed by a gap of 10 × 10 + 1 (clipped to 10), or of exactly 10 × 10 (kept)
    const clipped = { nodes, startTime: 0, samples: [2, 3, 2, 3, 3], timeDeltas: [10, 10, 101, 10, 10] };
    expect(selfTimes(clipped, "function", 0, 0)).to.deep.equal({ busy: 40, rows: [["a node:events:5", 20], ["b node:events:10", 20]] });
    const kept = { nodes, startTime: 0, samples: [2, 3, 2, 3, 3], timeDeltas: [10, 10, 100, 10, 10] };
    expect(selfTimes(kept, "function", 0, 0).rows).to.deep.equal([["b node:events:10", 110], ["a node:events:5", 20]]);
  });
});
