// bench:mesh's profiles of missed rows: each hop's profile is found by its pid, only samples in
// the row's window count, a hop that wrote none is named, and the report lists the shares.
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { profileRow, renderRowProfiles } from "../../../bench/mesh/missed-profiles.js";
import { cpuRowMissed } from "../../../bench/mesh/report.js";
import type { CpuRow } from "../../../bench/mesh/phases.js";

/** A .cpuprofile of one process: samples of `frames` (by name, "(idle)" allowed) 1 ms apart from `start` µs. */
function profileJson(start: number, frames: string[]): string {
  const names = [...new Set(frames)];
  const nodes = names.map((n, i) => ({ id: i + 1, callFrame: { functionName: n, url: n.startsWith("(") ? "" : "file:///x/node_modules/@grpc/grpc-js/build/src/a.js", lineNumber: 0 } }));
  return JSON.stringify({ nodes, startTime: start, samples: frames.map((f) => names.indexOf(f) + 1), timeDeltas: frames.map(() => 1000) });
}

describe("bench:mesh profiles of missed rows", () => {
  it("reads each hop's profile by pid within the row's window; a hop without one is named", async () => {
    const profile = await profileRow("CPU per streamed token, 1 stream", async (dir, mark) => {
      mark.from = 10_500;
      mark.to = 14_500;
      // Samples at 11..20 ms: 11-14 ms fall in the window (4 samples), the rest do not.
      writeFileSync(join(dir, "CPU.20261207.220000.111.0.001.cpuprofile"), profileJson(10_000, ["(program)", "(program)", "call", "call", "call", "call", "call", "call", "call", "call"]));
      writeFileSync(join(dir, "CPU.20261207.220000.222.0.001.cpuprofile"), profileJson(10_000, ["(idle)", "(garbage collector)", "(idle)", "(idle)", "call"]));
      return { frontend: 111, preprocessor: 222, router: 333 };
    });
    expect(profile.row).to.equal("CPU per streamed token, 1 stream");
    // The frontend: samples at 11, 12 ((program)), 13, 14 ms (grpc-js); each runs to the next.
    expect(profile.hops.frontend!.busyMs).to.equal(4);
    expect(profile.hops.frontend!.top).to.deep.equal([["(program)", 0.5], ["@grpc/grpc-js", 0.5]]);
    // Idle samples do not count.
    expect(profile.hops.preprocessor!.busyMs).to.equal(1);
    expect(profile.hops.router).to.equal(undefined);
    const text = renderRowProfiles([profile]).join("\n");
    expect(text).to.include("### CPU per streamed token, 1 stream");
    expect(text).to.include("| frontend | 4 | (program) 50.0%, @grpc/grpc-js 50.0% |");
    expect(text).to.include("| router | — | no profile written |");
    expect(renderRowProfiles([])).to.deep.equal([]);
  });

  it("a CPU row misses its target at the target and above (1 stream: 100 µs, 8: 50 µs); other concurrencies have none", () => {
    const row = (streams: number, meshMicrosPerToken: number) => ({ streams, meshMicrosPerToken }) as CpuRow;
    expect(cpuRowMissed(row(1, 99.9))).to.equal(false);
    expect(cpuRowMissed(row(1, 100))).to.equal(true);
    expect(cpuRowMissed(row(8, 49.9))).to.equal(false);
    expect(cpuRowMissed(row(8, 50))).to.equal(true);
    expect(cpuRowMissed(row(8, Number.NaN)), "no tokens measured is no pass").to.equal(true);
    expect(cpuRowMissed(row(64, 1e6))).to.equal(false);
  });
});
