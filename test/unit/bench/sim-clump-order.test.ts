import { expect } from "chai";
import { orderClumps } from "../../../bench/sim/clump-order.js";
import type { TraceRecord } from "../../../bench/workloads/trace-parser.js";

const rec = (timestamp: number, inputLength: number, tag: number): TraceRecord => ({ timestamp, inputLength, outputLength: tag, hashIds: [] });
const view = (rs: readonly TraceRecord[]): string[] => rs.map((r) => `${r.timestamp}:${r.inputLength}:${r.outputLength}`);

describe("kvmesh sim --clump-order", () => {
  // Two clumps (t=0: three records, t=3000: two) around a lone record; a later t=0 is not adjacent.
  const records = [rec(0, 500, 1), rec(0, 100, 2), rec(0, 500, 3), rec(1000, 50, 4), rec(3000, 9, 5), rec(3000, 700, 6), rec(0, 1, 7)];

  it("trace: the records as they are, in a copy", () => {
    const out = orderClumps(records, "trace");
    expect(view(out)).to.deep.equal(view(records));
    expect(out).to.not.equal(records);
  });

  it("short: each run of equal timestamps fewest input tokens first, ties in trace order; nothing crosses a run", () => {
    expect(view(orderClumps(records, "short"))).to.deep.equal(["0:100:2", "0:500:1", "0:500:3", "1000:50:4", "3000:9:5", "3000:700:6", "0:1:7"]);
  });

  it("long: most input tokens first, ties in trace order", () => {
    expect(view(orderClumps(records, "long"))).to.deep.equal(["0:500:1", "0:500:3", "0:100:2", "1000:50:4", "3000:700:6", "3000:9:5", "0:1:7"]);
  });

  it("no records, one record", () => {
    expect(orderClumps([], "short")).to.deep.equal([]);
    expect(view(orderClumps([rec(5, 5, 5)], "long"))).to.deep.equal(["5:5:5"]);
  });
});
