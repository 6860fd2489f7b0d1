// `kvmesh bench` as a real process against the loopback stand-in (`kvmesh bench standin`, its
// own process): results.json numbers for each workload, error kinds, the ceiling mode, and a
// compare whose meshes are stand-ins launched through --up-command.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { BenchReport } from "../../bench/report/types.js";
import { startProcess, stopAllProcesses } from "../support/process.js";
import type { TestProcess } from "../support/process.js";
import { KVMESH_CLI } from "../support/worker-process.js";

const run = promisify(execFile);

/** Runs `kvmesh bench ...args --out <dir>`; resolves with the exit code and results.json. */
async function bench(dir: string, args: string[]): Promise<{ code: number; report: BenchReport; stdout: string }> {
  const out = join(dir, `run-${Math.random().toString(36).slice(2)}`);
  const result = await run("node", [KVMESH_CLI, "bench", ...args, "--out", out]).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: `${e.stdout}\n${e.stderr}` }),
  );
  return { ...result, report: JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchReport };
}

describe("kvmesh bench against the loopback stand-in", function () {
  this.timeout(60_000);
  let dir: string;
  let standin: TestProcess;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "kvmesh-bench-test-"));
    standin = startProcess("node", [KVMESH_CLI, "bench", "standin", "--block-size", "16", "--model-name", "tiny"]);
    url = /http:\/\/127\.0\.0\.1:\d+/.exec(await standin.waitForLine(/serving tiny at http/))![0];
  });
  after(async () => {
    await stopAllProcesses();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shared-prefix: every request succeeds with the asked token counts, and one cache delivers all the available reuse", async () => {
    const { code, report, stdout } = await bench(dir, ["--url", url, "--num-requests", "40", "--concurrency", "4", "--input-len", "128", "--output-len", "16", "--block-size", "16", "--prefix-groups", "2"]);
    expect(code, stdout).to.equal(0);
    expect(stdout).to.include("| target | c=4 | 40 | 0 |");
    expect(report).to.include({ kind: "bench", model: "tiny", url });
    const s = report.runs[0].stats;
    expect(s).to.include({ requests: 40, succeeded: 40, outputTokens: 40 * 16, promptTokens: 40 * 128 });
    expect(s.errors).to.deep.equal({});
    expect(s.ttftMs.count).to.equal(40);
    // 2 groups of 64-token prefixes: 38 of 40 requests reuse 4 blocks of 16.
    expect(s.availableReuse).to.be.closeTo((38 * 64) / (40 * 128), 1e-9);
    expect(s.deliveredHitRate).to.be.closeTo(s.availableReuse, 1e-9);
    expect(report.runs[0].requests.every((r) => r.outputTokens === 16 && r.workerId === "standin-0")).to.equal(true);
  });

  it("multi-turn: sessions × turns requests whose history is reused", async () => {
    const { code, report } = await bench(dir, ["--url", url, "--workload", "multi-turn", "--sessions", "3", "--turns", "3", "--think-time", "10ms", "--input-len", "32", "--output-len", "8", "--block-size", "16", "--concurrency", "2,3"]);
    expect(code).to.equal(0);
    expect(report.runs.map((r) => r.load.value)).to.deep.equal([2, 3]);
    for (const r of report.runs) {
      expect(r.stats).to.include({ requests: 9, succeeded: 9, outputTokens: 72, promptTokens: 3 * (32 + 72 + 112) });
      expect(r.stats.availableReuse).to.be.greaterThan(0);
      expect(r.stats.deliveredHitRate).to.be.closeTo(r.stats.availableReuse, 1e-9);
    }
    expect(report.runs[0].seed).to.not.equal(report.runs[1].seed);
  });

  it("trace: one request per record with scaled lengths", async () => {
    const trace = join(dir, "trace.jsonl");
    const lines = [
      { timestamp: 0, input_length: 1024, output_length: 5, hash_ids: [0, 1] },
      { timestamp: 10, input_length: 1500, output_length: 7, hash_ids: [0, 1, 2] },
      { timestamp: 20, input_length: 700, output_length: 900, hash_ids: [3, 4] },
    ];
    writeFileSync(trace, lines.map((l) => JSON.stringify(l)).join("\n"));
    const { code, report } = await bench(dir, ["--url", url, "--workload", "trace", "--trace", trace, "--trace-block-size", "16", "--time-scale", "0.5", "--max-output-len", "10", "--block-size", "16"]);
    expect(code).to.equal(0);
    const s = report.runs[0].stats;
    expect(report.runs[0].load).to.deep.equal({ kind: "trace", value: 2 });
    expect(s).to.include({ requests: 3, succeeded: 3, promptTokens: 32 + 47 + 22, outputTokens: 5 + 7 + 10 });
    expect(s.availableReuse).to.be.closeTo(32 / 101, 1e-9);
  });

  it("reports failures by error kind and exits 1", async () => {
    const small = startProcess("node", [KVMESH_CLI, "bench", "standin", "--max-model-len", "100"]);
    const smallUrl = /http:\/\/127\.0\.0\.1:\d+/.exec(await small.waitForLine(/serving/))![0];
    const { code, report, stdout } = await bench(dir, ["--url", smallUrl, "--num-requests", "6", "--input-len", "128"]);
    expect(code).to.equal(1);
    expect(report.runs[0].stats.errors).to.deep.equal({ "http_400:context_length_exceeded": 6 });
    expect(stdout).to.include("6 × `http_400:context_length_exceeded`");
    await small.stop();
  });

  it("ceiling: measures what the client drives against an instant server", async () => {
    const { code, report } = await bench(dir, ["ceiling", "--input-len", "64", "--output-len", "8"]);
    expect(code).to.equal(0);
    expect(report.kind).to.equal("ceiling");
    expect(report.runs[0].stats).to.include({ requests: 2000, succeeded: 2000, outputTokens: 16000 });
    expect(report.ceiling!.concurrency).to.equal(64);
    expect(report.ceiling!.requestsPerS).to.be.greaterThan(0);
  });

  it("compare: one fresh stand-in per policy through --up-command, with KV's ratios", async () => {
    const { code, report, stdout } = await bench(dir, [
      "compare", "--up-command", `node ${KVMESH_CLI} bench standin`, "--policies", "kv,round-robin", "--workers", "4", "--no-ceiling",
      "--num-requests", "60", "--concurrency", "4", "--input-len", "128", "--output-len", "4", "--block-size", "16", "--prefix-groups", "6",
    ]);
    expect(code, stdout).to.equal(0);
    expect(report.runs.map((r) => r.label)).to.deep.equal(["kv", "round-robin"]);
    expect(report.comparison!.map((c) => c.baseline)).to.deep.equal(["round-robin"]);
    const [kv, rr] = report.runs.map((r) => r.stats);
    expect(kv.availableReuse).to.equal(rr.availableReuse);
    expect(kv.deliveredHitRate).to.be.closeTo(kv.availableReuse, 1e-9);
    expect(rr.deliveredHitRate).to.be.below(kv.deliveredHitRate);
    expect(Object.keys(rr.perWorker)).to.have.length(4);
    expect(stdout).to.include("## KV routing against the baselines");
  });

  it("compare: SIGTERM stops the mesh it started and exits 130", async () => {
    const proc = startProcess("node", [KVMESH_CLI, "bench", "compare", "--up-command", `node ${KVMESH_CLI} bench standin`, "--policies", "kv", "--no-ceiling",
      "--workload", "multi-turn", "--sessions", "2", "--turns", "50", "--think-time", "200ms", "--out", join(dir, "killed")]);
    const line = await proc.waitForLine(/kv: mesh healthy at .* \(pid \d+\)/, 20_000);
    const pid = Number(/\(pid (\d+)\)/.exec(line)![1]);
    expect(() => process.kill(pid, 0)).to.not.throw();
    proc.signal("SIGTERM");
    expect(await proc.waitForExit(15_000)).to.equal(130);
    expect(() => process.kill(pid, 0)).to.throw(/ESRCH/);
  });
});
