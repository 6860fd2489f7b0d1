// `kvmesh up` and `kvmesh chat` as a user runs them: up's --help lists every forwarded flag;
// up on the embedded defaults (the generated tiny model) serves the README's curl example and
// stops everything on Ctrl-C; chat streams answers in a real terminal (tmux send-keys /
// capture-pane), keeps the conversation and obeys /reset and /exit.
import { expect } from "chai";
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { upSpec } from "../../cli/up/up-flags.js";
import { startMesh } from "../support/mesh.js";
import { startProcess, stopAllProcesses } from "../support/process.js";
import { repoRoot, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { KVMESH_CLI, metricSum, scrape } from "../support/worker-process.js";

const run = promisify(execFile);

/** The README's curl examples (lines starting with `curl http://127.0.0.1:8000/v1/`). */
function readmeCurls(): string[] {
  return readFileSync(join(repoRoot, "README.md"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l.startsWith("curl http://127.0.0.1:8000/v1/"));
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("kvmesh up and kvmesh chat", function () {
  this.timeout(180_000);
  after(() => stopAllProcesses());

  it("up --help lists every flag it forwards", async () => {
    const { stdout } = await run("node", [KVMESH_CLI, "up", "--help"]);
    for (const flag of upSpec()) expect(stdout, flag.name).to.include(`--${flag.name}`);
    for (const flag of ["workers", "router-mode", "engine", "model", "http-port", "nats-url", "migration-limit", "speedup-ratio"]) expect(stdout).to.include(`--${flag}`);
  });

  it("up serves the README's curl examples on the embedded defaults and stops everything on Ctrl-C", async () => {
    const curls = readmeCurls();
    expect(curls.length, "the README has curl examples").to.be.at.least(2);
    const env = { HF_HOME: mkdtempSync(join(tmpdir(), "kvmesh-up-hf-")) };
    const dir = mkdtempSync(join(tmpdir(), "kvmesh-up-reg-"));
    const up = startProcess("node", [KVMESH_CLI, "up", "--http-port", "0", "--discovery-dir", dir, "--discovery-ttl", "1s"], { cwd: repoRoot, env });
    const line = await up.waitForLine(/kvmesh is up: http:\/\/127\.0\.0\.1:\d+/, 120_000);
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1];
    expect(up.lines.join("\n")).to.match(/workers: worker-[0-9a-f]{8}/);
    for (const curl of curls) {
      // Exactly the README's command, with the port this run got.
      const { stdout } = await run("bash", ["-c", `${curl.replace("http://127.0.0.1:8000", url)} -s -S -f`]);
      expect(stdout, curl).to.include("kvmesh-tiny-random");
      expect(stdout, curl).to.include('"finish_reason"');
    }
    const pids = execFileSync("pgrep", ["-P", String(up.pid)]).toString().trim().split("\n").map(Number);
    expect(pids.length, "frontend, preprocessor, router and a worker").to.equal(4);
    up.signal("SIGINT");
    expect(await up.waitForExit(60_000)).to.equal(0);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`), `child ${pid} gone`).to.equal(false);
  });

  it("a SIGKILLed up leaves no service behind: each sees its stdin pipe close and shuts down", async () => {
    const env = { HF_HOME: mkdtempSync(join(tmpdir(), "kvmesh-up-hf-")) };
    const dir = mkdtempSync(join(tmpdir(), "kvmesh-up-reg-"));
    const up = startProcess("node", [KVMESH_CLI, "up", "--engine", "mocker", "--workers", "2", "--http-port", "0", "--discovery-dir", dir, "--discovery-ttl", "1s"], { cwd: repoRoot, env });
    await up.waitForLine(/kvmesh is up: http:\/\/127\.0\.0\.1:\d+/, 120_000);
    const pids = execFileSync("pgrep", ["-P", String(up.pid)]).toString().trim().split("\n").map(Number);
    expect(pids.length, "frontend, preprocessor, router and the worker process").to.equal(4);
    up.signal("SIGKILL");
    await up.waitForExit(10_000);
    await waitFor("every service to exit", () => (pids.every((pid) => !existsSync(`/proc/${pid}`)) ? true : undefined), 30_000);
    const left = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".json"));
    expect(left, "each deregistered on its way out").to.deep.equal([]);
  });

  it("chat streams answers in a terminal, keeps the conversation, and obeys /reset and /exit", async function () {
    requireStoriesModel(this);
    try {
      execFileSync("tmux", ["-V"]);
    } catch {
      if (process.env.CI === "true") throw new Error("tmux is required under CI");
      return this.skip();
    }
    const template = join(mkdtempSync(join(tmpdir(), "kvmesh-chat-tpl-")), "t.jinja");
    writeFileSync(template, "{% for m in messages %}{{ m['content'] }}{% endfor %}");
    const mesh = await startMesh([["--model", storiesModelDir, "--model-name", "stories-chat", "--chat-template", template]]);
    const session = `kvmesh-chat-${process.pid}`;
    const pane = (): string => execFileSync("tmux", ["capture-pane", "-p", "-t", session]).toString();
    execFileSync("tmux", ["new-session", "-d", "-s", session, "-x", "200", "-y", "50", `node ${KVMESH_CLI} chat --url ${mesh.url} --temperature 0 --max-tokens 24; echo CHAT-EXITED $?; sleep 30`]);
    try {
      await waitFor("the chat prompt", () => (pane().includes("chatting with stories-chat") ? true : undefined));
      execFileSync("tmux", ["send-keys", "-t", session, "Once upon a time", "Enter"]);
      // The answer streamed, and the prompt is back.
      await waitFor("the streamed answer", () => (/there was a little girl[\s\S]*\n>\s*$/.test(pane().trimEnd() + " ") ? true : undefined));
      // The second turn is sent with the first in its history: its prompt holds the 24-token answer.
      const metrics = mesh.workers[0].metricsPort!;
      const before = metricSum(await scrape(metrics), "kvmesh_worker_prompt_tokens_total");
      execFileSync("tmux", ["send-keys", "-t", session, "Lily", "Enter"]);
      let grown = 0;
      for (let i = 0; i < 100 && grown <= 24; i++) {
        await new Promise((r) => setTimeout(r, 100));
        grown = metricSum(await scrape(metrics), "kvmesh_worker_prompt_tokens_total") - before;
      }
      expect(grown, `prompt tokens of the second turn; screen:\n${pane()}`).to.be.greaterThan(24);
      await waitFor("the second answer printed", () => (/> Lily\n.+\S/.test(pane()) ? true : undefined));
      execFileSync("tmux", ["send-keys", "-t", session, "/reset", "Enter"]);
      await waitFor("the reset", () => (pane().includes("(conversation reset)") ? true : undefined));
      execFileSync("tmux", ["send-keys", "-t", session, "/exit", "Enter"]);
      await waitFor("the chat to exit with 0", () => (pane().includes("CHAT-EXITED 0") ? true : undefined), 10_000);
    } finally {
      execFileSync("tmux", ["kill-session", "-t", session]);
    }
  });
});
