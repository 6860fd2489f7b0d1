import { expect } from "chai";
import { compareRuns } from "../../../bench/compare/ratios.js";
import { cdfPoints } from "../../../bench/report/charts.js";
import { formatTick, niceTicks } from "../../../bench/report/svg-chart.js";
import type { BenchReport, RunResult } from "../../../bench/report/types.js";
import { renderReport, resultsJson } from "../../../bench/report/write-report.js";
import { aggregate } from "../../../bench/stats/aggregate.js";
import type { RequestRecord } from "../../../bench/stats/record.js";

function run(label: string, concurrency: number, ttfts: number[], hit: number): RunResult {
  const records: RequestRecord[] = ttfts.map((ttftMs, i) => ({
    id: `${label}-${i}`, startMs: i * 10, promptTokens: 100, outputLen: 4, outputTokens: 4, cachedTokens: hit, ttftMs, itlMs: [2, 2, 2], e2eMs: ttftMs + 6,
  }));
  return { label, load: { kind: "concurrency", value: concurrency }, seed: 1, stats: aggregate(records, 0.6), requests: records.map(({ itlMs: _i, ...r }) => r) };
}

const runs = [run("kv", 4, [10, 12, 14, 30], 50), run("random", 4, [30, 36, 42, 90], 20), run("kv", 16, [20, 22], 50), run("random", 16, [40, 44], 20)];
const report: BenchReport = {
  version: 1, kind: "compare", createdAt: "2026-12-01T00:00:00.000Z", command: "kvmesh bench compare <test>", model: "m & <n>",
  workload: { name: "shared-prefix", params: { seed: 1 } }, blockSize: 16, runs, comparison: compareRuns(runs),
  ceiling: { requestsPerS: 1000, outputTokensPerS: 64000, concurrency: 64 }, notes: ["a note"],
};

/** Well-formedness: one root, every tag closed in order, attributes quoted, no raw & or <. */
function checkXml(text: string): void {
  const stack: string[] = [];
  const body = text.replace(/<\?xml[^>]*\?>/, "").trim();
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  let roots = 0;
  while (i < body.length) {
    const lt = body.indexOf("<", i);
    const textPart = body.slice(i, lt < 0 ? body.length : lt);
    expect(textPart.replace(/&(amp|lt|gt|quot|apos);/g, ""), "raw & in text").to.not.include("&");
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    expect(m, `malformed tag at ${lt}: ${body.slice(lt, lt + 40)}`).to.not.equal(null);
    const [, close, name, , selfClose] = m!;
    if (close) expect(stack.pop(), `closing ${name}`).to.equal(name);
    else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
    i = tag.lastIndex;
  }
  expect(stack).to.deep.equal([]);
  expect(roots).to.equal(1);
}

describe("bench report", () => {
  const files = renderReport(report);

  it("writes results.json with every run, its stats and the ratios", () => {
    const json = JSON.parse(files["results.json"]) as BenchReport;
    expect(json).to.include({ version: 1, kind: "compare", blockSize: 16 });
    expect(json.runs).to.have.length(4);
    expect(json.runs[0].stats).to.include.keys("ttftMs", "itlMs", "e2eMs", "outputTokensPerS", "requestsPerS", "errors", "deliveredHitRate", "availableReuse");
    expect(json.runs[0].requests[0]).to.not.have.property("itlMs");
    expect(json.comparison).to.have.length(2);
    expect(json.comparison![0]).to.include({ baseline: "random" });
    expect(json.comparison![0].ttftP50Gain).to.be.closeTo(39 / 13, 1e-9);
  });

  it("renders the Markdown runs table, the ratios and the gap to Dynamo's 3×", () => {
    const md = files["summary.md"];
    expect(md).to.match(/^\| run \| load \| requests \| errors \| TTFT p50\/p90\/p99 ms /m);
    expect(md).to.match(/^\| kv \| c=4 \| 4 \| 0 \| 13\.0 \/ /m);
    expect(md).to.include("| c=4 | kv vs random | 3.00× |");
    expect(md).to.include("Dynamo's published 3×");
    expect(md).to.include("## Client ceiling");
    expect(md.split("\n").filter((l) => l.startsWith("| kv ") || l.startsWith("| random "))).to.have.length(4);
  });

  for (const name of ["ttft-cdf.svg", "throughput.svg"]) {
    it(`writes a well-formed ${name} with a line per series`, () => {
      const svg = files[name];
      checkXml(svg);
      expect(svg).to.include('xmlns="http://www.w3.org/2000/svg"');
      expect((svg.match(/<polyline /g) ?? []).length).to.equal(name === "throughput.svg" ? 2 : 4);
      expect(svg).to.not.include("NaN");
    });
  }

  it("ends the CDF's x axis just past the slowest p99, clipping the lines", () => {
    const svg = files["ttft-cdf.svg"];
    const slowestP99 = Math.max(...runs.map((r) => r.stats.ttftMs.p99));
    const xTicks = [...svg.matchAll(/<text x="[\d.]+" y="(\d+)" text-anchor="middle">([\d.]+)<\/text>/g)].filter((m) => m[1] === "383").map((m) => Number(m[2]));
    expect(xTicks.length).to.be.greaterThan(2);
    expect(Math.max(...xTicks)).to.be.within(slowestP99 * 0.7, slowestP99 * 1.1);
    expect((svg.match(/clip-path="url\(#plot\)"/g) ?? []).length).to.equal(4);
  });

  it("escapes names in the SVG", () => {
    const svg = renderReport({ ...report, workload: { name: "a<b & c", params: {} } })["ttft-cdf.svg"];
    checkXml(svg);
    expect(svg).to.include("a&lt;b &amp; c");
  });

  it("makes a CDF that ends at 1 and never decreases", () => {
    const pts = cdfPoints([5, 1, 3, 3, 9]);
    expect(pts.at(-1)).to.deep.equal([9, 1]);
    for (let i = 1; i < pts.length; i++) expect(pts[i][0] >= pts[i - 1][0] && pts[i][1] > pts[i - 1][1]).to.equal(true);
    expect(cdfPoints(Array.from({ length: 10_000 }, (_, i) => i)).length).to.be.at.most(201);
  });

  it("writes one line per request row, times to the µs, and parses back to the report", () => {
    const noisy: BenchReport = { ...report, runs: [{ ...runs[0], requests: runs[0].requests.map((r) => ({ ...r, ttftMs: r.ttftMs! + 0.0000004 })) }] };
    const text = resultsJson(noisy);
    expect(text.split("\n").filter((l) => l.trim().startsWith('{"id":'))).to.have.length(4);
    expect(JSON.parse(text)).to.deep.equal(JSON.parse(JSON.stringify({ ...noisy, runs: [runs[0]] })));
  });

  it("labels ticks compactly", () => {
    expect([0, 0.25, 500, 1000, 1500, 25000].map(formatTick)).to.deep.equal(["0", "0.25", "500", "1k", "1.5k", "25k"]);
  });

  it("picks round ticks", () => {
    expect(niceTicks(0, 100)).to.deep.equal([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 0.9)).to.deep.equal([0, 0.2, 0.4, 0.6, 0.8]);
  });
});
