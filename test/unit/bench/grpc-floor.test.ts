// bench:mesh's floor starts real relay processes, times both paths and cleans up after itself.
import { expect } from "chai";
import { measureGrpcFloor } from "../../../bench/mesh/grpc-floor.js";
import { renderMeshSummary } from "../../../bench/mesh/report.js";
import type { MeshBenchResult } from "../../../bench/mesh/report.js";

describe("bench:mesh grpc floor", function () {
  this.timeout(30_000);

  it("times the same call straight and through relays in processes of their own", async () => {
    const row = await measureGrpcFloor(20, 2, 10);
    expect(row.hops).to.equal(2);
    expect(row.direct.count).to.equal(20);
    expect(row.relayed.count).to.equal(20);
    expect(row.relayed.p50, "two relays cost something").to.be.above(row.direct.p50);
    expect(row.addedP50Ms).to.be.closeTo(row.relayed.p50 - row.direct.p50, 1e-9);
    expect(row.addedP99Ms).to.be.closeTo(row.relayed.p99 - row.direct.p99, 1e-9);
  });

  it("the summary states the floor when measured, and nothing when an older report has none", () => {
    const s = (p50: number) => ({ count: 1, mean: p50, p50, p90: p50, p99: p50, min: p50, max: p50 });
    const base = {
      createdAt: "t", command: "c", machine: { cpus: 2, model: "m", loadAtStart: [1, 1, 1], loadAtEnd: [1, 1, 1] },
      latency: { direct: s(1), mesh: s(3), addedP50Ms: 2, addedP99Ms: 2, failures: 0 }, cpu: [],
      rate: { concurrency: 64, completed: 1, durationMs: 1000, requestsPerS: 1, failures: 0 },
      clientCeiling: { concurrency: 64, completed: 1, durationMs: 1000, requestsPerS: 1, failures: 0 },
    } as unknown as MeshBenchResult;
    expect(renderMeshSummary(base)).to.not.include("Floor");
    const text = renderMeshSummary({ ...base, floor: { hops: 3, direct: s(0.5), relayed: s(2.25), addedP50Ms: 1.75, addedP99Ms: 4 } } as unknown as MeshBenchResult);
    expect(text).to.include("through 3 do-nothing grpc-js relays in processes of their own 2.25 ms: those 3 processes alone add 1.75 ms p50 (p99 4.00 ms)");
  });
});
