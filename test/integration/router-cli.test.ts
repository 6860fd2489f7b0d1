// `kvmesh router` as a command: its help lists the router flags, and bad flag combinations
// stop it at start with exit code 2 and a message naming the problem.
import { expect } from "chai";
import { startProcess } from "../support/process.js";
import { repoRoot } from "../support/stories-model.js";
import { KVMESH_CLI } from "../support/worker-process.js";

async function run(args: string[]): Promise<{ code: number | null; output: string }> {
  const proc = startProcess("node", [KVMESH_CLI, "router", ...args], { cwd: repoRoot });
  const code = await proc.waitForExit(20_000);
  return { code, output: proc.lines.join("\n") };
}

describe("kvmesh router (command line)", function () {
  this.timeout(30_000);

  it("--help lists the router flags and exits 0", async () => {
    const { code, output } = await run(["--help"]);
    expect(code).to.equal(0);
    for (const flag of ["--router-mode", "--overlap-weight", "--router-temperature", "--kv-events", "--busy-threshold", "--migration-limit", "--nats-url", "--discovery-dir"]) {
      expect(output).to.contain(flag);
    }
  });

  const bad: { args: string[]; says: RegExp }[] = [
    { args: ["--kv-events", "nats"], says: /--kv-events nats needs --nats-url/ },
    { args: ["--router-mode", "fastest"], says: /router-mode/ },
    { args: ["--migration-limit", "-1"], says: /migration-limit/ },
  ];
  for (const c of bad) {
    it(`${c.args.join(" ")} exits 2 naming the problem`, async () => {
      const { code, output } = await run(c.args);
      expect(code).to.equal(2);
      expect(output).to.match(c.says);
    });
  }
});
