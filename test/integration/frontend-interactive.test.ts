// `kvmesh frontend --interactive`: the CLI (cli/frontend-command.ts), not the frontend service,
// opens the terminal chat once the frontend listens. With no model in discovery the chat cannot
// start: it must say why and leave the frontend serving (it used to be an unhandled rejection
// that took the process down).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProcess, stopAllProcesses } from "../support/process.js";
import { repoRoot } from "../support/stories-model.js";
import { KVMESH_CLI } from "../support/worker-process.js";

describe("kvmesh frontend --interactive", function () {
  this.timeout(30_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "kvmesh-interactive-"))));
  after(async () => {
    await stopAllProcesses();
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens the chat against its own port; a chat that cannot start leaves the frontend serving", async () => {
    const proc = startProcess("node", [KVMESH_CLI, "frontend", "--interactive", "--http-port", "0", "--listen", "127.0.0.1:0",
      "--discovery-dir", dir, "--namespace", "interactive-test", "--discovery-ttl", "1s"], { cwd: repoRoot });
    await proc.waitForListening(20_000);
    const httpPort = (JSON.parse(proc.lines.find((l) => l.includes('"msg":"listening"'))!) as { http_port: number }).http_port;
    const said = await proc.waitForLine(/^kvmesh chat:/, 10_000);
    expect(said).to.equal(`kvmesh chat: no model is served at http://127.0.0.1:${httpPort} yet`);
    await new Promise((r) => setTimeout(r, 300));
    expect(proc.exitCode).to.equal(undefined);
    const live = await fetch(`http://127.0.0.1:${httpPort}/live`);
    expect(live.status).to.equal(200);
  });
});
