// `kvmesh up` keeps of a service's log only what it reads (the "listening" records and their
// ports): the soak's `up` process grew with every log line its services printed, since each
// parsed record was kept for the life of the mesh.
import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChild } from "../../../cli/up/child.js";

const LINES = 5000;

/** A stand-in service: LINES ordinary records around its two listening records, then exits. */
function script(dir: string): string {
  const path = join(dir, "service.mjs");
  writeFileSync(path, [
    `const out = [];`,
    `for (let i = 0; i < ${LINES}; i++) out.push(JSON.stringify({ level: "info", msg: "request done", request_id: "r" + i }));`,
    `out.splice(10, 0, JSON.stringify({ level: "info", msg: "metrics listening", metrics_port: 9100 }));`,
    `out.splice(20, 0, JSON.stringify({ level: "info", msg: "listening", port: 5000, http_port: 8000 }));`,
    `out.push(JSON.stringify({ level: "warn", msg: "slow" }), "not json");`,
    `process.stdout.write(out.join("\\n") + "\\n");`,
  ].join("\n"));
  return path;
}

describe("up child records", function () {
  this.timeout(30_000);

  it(`keeps the listening records of ${LINES} log lines, logs every line, echoes warnings`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "kvmesh-up-child-"));
    const echoed: string[] = [];
    const child = startChild("svc", script(dir), [], join(dir, "svc.log"), (line) => echoed.push(line));
    const listening = await child.waitListening(1, 20_000);
    expect(await child.exited).to.equal(0);
    expect(listening.map((r) => r.port)).to.deep.equal([5000]);
    expect(child.records.map((r) => r.msg)).to.deep.equal(["metrics listening", "listening"]);
    expect(child.records.map((r) => r.metrics_port ?? r.http_port)).to.deep.equal([9100, 8000]);
    expect(child.tail.at(-1)).to.equal("not json");
    expect(echoed).to.deep.equal(["[svc] warn: slow", "[svc] not json"]);
    const logged = (): number => readFileSync(join(dir, "svc.log"), "utf8").split("\n").length - 1;
    for (let i = 0; i < 100 && logged() < LINES + 4; i++) await new Promise((r) => setTimeout(r, 50)); // the log is written asynchronously
    expect(logged()).to.equal(LINES + 4);
  });
});
