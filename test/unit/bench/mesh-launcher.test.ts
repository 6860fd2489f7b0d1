// The launcher with stub commands (a node one-liner) and an injected health probe: no sockets.
import { expect } from "chai";
import { launchMesh, stopAllMeshes, URL_PATTERN } from "../../../bench/compare/mesh-launcher.js";

const node = (script: string): string[] => [process.execPath, "-e", script, "--"];
const SERVE = "console.log('starting'); setTimeout(() => console.log('kvmesh up: frontend at http://127.0.0.1:4567 (8 workers)'), 50); process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000);";

describe("bench mesh launcher", function () {
  this.timeout(20_000);

  it("finds the URL line, waits for /health 200, passes the args and stops by SIGTERM", async () => {
    const probed: string[] = [];
    let calls = 0;
    const mesh = await launchMesh({
      command: node(`${SERVE} console.log('args=' + process.argv.slice(1).join(' '));`),
      args: ["--router-mode", "kv"],
      readyTimeoutMs: 10_000,
      pollMs: 10,
      healthStatus: async (url) => {
        probed.push(url);
        return ++calls < 3 ? 503 : 200;
      },
    });
    expect(mesh.url).to.equal("http://127.0.0.1:4567");
    expect(probed).to.have.length(3);
    expect(mesh.lines).to.include("args=--router-mode kv");
    expect(await mesh.stop()).to.equal(0);
    expect(mesh.lines).to.include("bye");
  });

  it("fails with the process output when it exits before it is healthy", async () => {
    const err = await launchMesh({ command: node("console.error('no model at /nowhere'); process.exit(3);"), args: [], readyTimeoutMs: 10_000, pollMs: 10, healthStatus: async () => 200 })
      .then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/exited \(3\) before it was healthy/).and.include("no model at /nowhere");
  });

  it("gives up after the timeout and stops the process it started", async () => {
    // 3 s, not less: the stub node process must start and print its URL first, which takes over
    // 300 ms on a loaded 2-core CI machine (the test then saw "no URL printed").
    const err = await launchMesh({ command: node(SERVE), args: [], readyTimeoutMs: 3000, pollMs: 10, healthStatus: async () => 503 }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/not healthy within 3000 ms \(http:\/\/127\.0\.0\.1:4567\)/).and.include("bye");
  });

  it("stops every mesh still running on stopAllMeshes (the signal handler's job)", async () => {
    const launch = () => launchMesh({ command: node(SERVE), args: [], readyTimeoutMs: 10_000, pollMs: 10, healthStatus: async () => 200 });
    const [a, b] = await Promise.all([launch(), launch()]);
    await stopAllMeshes();
    for (const mesh of [a, b]) {
      expect(mesh.lines).to.include("bye");
      expect(() => process.kill(mesh.pid, 0)).to.throw(/ESRCH/);
    }
  });

  for (const { line, want } of [
    { line: '{"level":30,"msg":"ready","url":"http://127.0.0.1:8000/v1"}', want: "http://127.0.0.1:8000" },
    { line: "serving at http://[::1]:9 now", want: "http://[::1]:9" },
    { line: "listening on 0.0.0.0:8000", want: undefined },
  ]) {
    it(`reads ${JSON.stringify(want)} from ${line.slice(0, 40)}`, () => expect(URL_PATTERN.exec(line)?.[0]).to.equal(want));
  }
});
