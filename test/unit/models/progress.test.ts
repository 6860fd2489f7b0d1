import { expect } from "chai";
import { createLogger } from "#common/logger.js";
import { logProgress, ttyProgress } from "#models/hub/progress.js";
import type { ProgressSink } from "#models/hub/progress.js";

/** Feeds `chunks` bytes of a file of `total` (already `have` on disk) through a sink. */
function feed(sink: ProgressSink, total: number | undefined, have: number, chunks: readonly number[]): void {
  sink.begin("onnx/model.onnx", total, have);
  for (const c of chunks) sink.advance(c);
  sink.end();
}

describe("models: download progress", () => {
  it("redraws one bar line per file on a TTY, ending at 100 %", () => {
    let screen = "";
    feed(ttyProgress({ columns: 80, write: (t) => (screen += t) }), 2_000_000, 0, [500_000, 500_000, 1_000_000]);
    const frames = screen.split("\r").filter((f) => f !== "");
    expect(frames.map((f) => /(\d+)% /.exec(f)?.[1])).to.deep.equal(["0", "25", "50", "100", "100"]);
    expect(frames[frames.length - 1]).to.match(/^onnx\/model\.onnx \[#+\] 100% 2\.0 MB\/2\.0 MB\n$/);
    expect(screen.split("\n")).to.have.length(2);
  });

  const cases: { name: string; total?: number; have: number; chunks: number[]; percents: (number | undefined)[] }[] = [
    { name: "a fresh download logs 0, each quarter passed, and 100 once", total: 100, have: 0, chunks: [10, 20, 30, 40], percents: [0, 30, 60, 100] },
    { name: "one big chunk skips the quarters it jumped over", total: 100, have: 0, chunks: [100], percents: [0, 100] },
    { name: "a resumed download starts at the bytes already on disk", total: 100, have: 60, chunks: [20, 20], percents: [60, 80, 100] },
    { name: "an unknown size logs only start and end", have: 0, chunks: [5, 5], percents: [undefined, undefined] },
  ];
  for (const c of cases) {
    it(`logs: ${c.name}`, () => {
      const lines: string[] = [];
      feed(logProgress(createLogger({ service: "t", destination: { write: (l: string) => void lines.push(l) } })), c.total, c.have, c.chunks);
      const records = lines.map((l) => JSON.parse(l) as { msg: string; percent?: number; bytes: number });
      expect(records.every((r) => r.msg === "download progress")).to.equal(true);
      expect(records.map((r) => r.percent)).to.deep.equal(c.percents);
    });
  }
});
