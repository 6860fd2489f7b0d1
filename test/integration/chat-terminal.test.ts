// `kvmesh chat` as a user runs it: in a real terminal (tmux send-keys / capture-pane) for /help,
// --system, --max-tokens and its marker, and Ctrl-C mid-answer; with a piped stdin for the error
// lines. Mocker workers on the stories260K tokenizer: "fast-chat" answers at once, "slow-chat"
// takes seconds, so Ctrl-C lands mid-answer.
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { repoRoot, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { KVMESH_CLI, metricSum, scrape } from "../support/worker-process.js";

const TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:";

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"]);
    return true;
  } catch {
    return false;
  }
}

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `kvmesh chat <args>` with `input` piped to stdin; resolves its output and exit code. */
function pipedChat(args: string[], input: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn("node", [KVMESH_CLI, "chat", ...args], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(input);
  });
}

/** A chat in a tmux session. */
class Terminal {
  private readonly session = `kvmesh-chat-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(command: string) {
    execFileSync("tmux", ["new-session", "-d", "-s", this.session, "-x", "200", "-y", "50", `${command}; echo CHAT-EXITED $?; sleep 30`]);
  }

  pane(): string {
    return execFileSync("tmux", ["capture-pane", "-p", "-J", "-S", "-200", "-t", this.session]).toString();
  }

  type(text: string): void {
    execFileSync("tmux", ["send-keys", "-t", this.session, "-l", text]);
    execFileSync("tmux", ["send-keys", "-t", this.session, "Enter"]);
  }

  key(name: string): void {
    execFileSync("tmux", ["send-keys", "-t", this.session, name]);
  }

  waitForPane(what: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return waitFor(what, () => {
      const text = this.pane();
      return pattern.test(text) ? text : undefined;
    }, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}; screen:\n${this.pane()}\n(tail: ${JSON.stringify(this.pane().trimEnd().slice(-60))})`);
    });
  }

  close(): void {
    execFileSync("tmux", ["kill-session", "-t", this.session]);
  }
}

describe("kvmesh chat in a terminal", function () {
  this.timeout(120_000);
  let mesh: Mesh;
  let keyedUrl: string;
  const metricsOf = (i: number): Promise<string> => scrape(mesh.workers[i].metricsPort!);

  before(async function () {
    requireStoriesModel(this);
    const template = join(mkdtempSync(join(tmpdir(), "kvmesh-chat-tpl-")), "t.jinja");
    writeFileSync(template, TEMPLATE);
    const mocker = ["--engine", "mocker", "--model", storiesModelDir, "--chat-template", template, "--context-length", "512"];
    mesh = await startMesh([[...mocker, "--model-name", "fast-chat", "--speedup-ratio", "50"], [...mocker, "--model-name", "slow-chat", "--speedup-ratio", "0.05"]]);
    keyedUrl = await mesh.addFrontend(["--api-key", "sk-chat"]);
  });
  after(() => stopAllProcesses());

  it("answers /help locally, sends --system first, and marks an answer cut at --max-tokens", async function () {
    if (!hasTmux()) return process.env.CI === "true" ? expect.fail("tmux is required under CI") : this.skip();
    const system = "You are a storyteller who always speaks of dragons.";
    const term = new Terminal(`node ${KVMESH_CLI} chat --url ${mesh.url} --model fast-chat --system '${system}' --max-tokens 5`);
    try {
      await term.waitForPane("the chat prompt", /chatting with fast-chat[\s\S]*\n> $/m);
      const before = await metricsOf(0);
      term.type("/help");
      await term.waitForPane("the help", /\/reset[\s\S]*Ctrl-C[\s\S]*\n> $/m);
      expect(metricSum(await metricsOf(0), "vllm:prompt_tokens_total"), "/help never reached the worker").to.equal(metricSum(before, "vllm:prompt_tokens_total"));
      term.type("Tell me a story");
      await term.waitForPane("the cut answer", /\[cut: the answer reached --max-tokens 5\]\n> $/m);
      const after = await metricsOf(0);
      expect(metricSum(after, "vllm:generation_tokens_total") - metricSum(before, "vllm:generation_tokens_total")).to.equal(5);
      // The prompt held the system message first: exactly /tokenize's count of the same two messages.
      const tokenized = (await (await fetch(`${mesh.url}/tokenize`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "fast-chat", messages: [{ role: "system", content: system }, { role: "user", content: "Tell me a story" }] }),
      })).json()) as { count: number };
      expect(metricSum(after, "vllm:prompt_tokens_total") - metricSum(before, "vllm:prompt_tokens_total")).to.equal(tokenized.count);
      term.key("C-d");
      await term.waitForPane("the exit on Ctrl-D, on a fresh line", /\n>[ \t]*\nCHAT-EXITED 0/);
    } finally {
      term.close();
    }
  });

  it("Ctrl-C mid-answer returns to the prompt in under a second and cancels the worker's stream; Ctrl-C at the prompt leaves", async function () {
    if (!hasTmux()) return process.env.CI === "true" ? expect.fail("tmux is required under CI") : this.skip();
    const term = new Terminal(`node ${KVMESH_CLI} chat --url ${mesh.url} --model slow-chat --max-tokens 400`);
    try {
      await term.waitForPane("the chat prompt", /chatting with slow-chat[\s\S]*\n> $/m);
      term.type("Tell me a long story");
      const running = async (): Promise<number> => metricSum(await metricsOf(1), "vllm:num_requests_running");
      await waitFor("the answer to be generating", async () => ((await running()) === 1 ? true : undefined));
      await term.waitForPane("some streamed text", /> Tell me a long story\n.*\S/);
      term.key("C-c");
      // Timed from the moment tmux has delivered the key (send-keys returned).
      const sent = Date.now();
      await term.waitForPane("the prompt back", /\[stopped\]\n> $/m, 1000);
      expect(Date.now() - sent).to.be.lessThan(1000);
      await waitFor("the worker's stream to be cancelled", async () => ((await running()) === 0 ? true : undefined), 2000);
      const generated = metricSum(await metricsOf(1), "vllm:generation_tokens_total");
      expect(generated, "far fewer than max_tokens").to.be.lessThan(400);
      await new Promise((r) => setTimeout(r, 300));
      expect(metricSum(await metricsOf(1), "vllm:generation_tokens_total"), "nothing generated after the cancel").to.equal(generated);
      term.key("C-c");
      await term.waitForPane("the exit on Ctrl-C at the prompt", /\n>[ \t]*\nCHAT-EXITED 0/, 5000);
    } finally {
      term.close();
    }
  });

  it("prints each error as one readable line naming the URL and the cause", async () => {
    const port = await closedPort();
    const unreachable = await pipedChat(["--url", `http://127.0.0.1:${port}`], "hi\n");
    expect(unreachable.code).to.equal(1);
    expect(unreachable.stderr.trim()).to.equal(`[error] cannot reach http://127.0.0.1:${port}/v1/models: connect ECONNREFUSED 127.0.0.1:${port}`);
    const unknown = await pipedChat(["--url", mesh.url, "--model", "no-such-model"], "hi\n");
    expect(unknown.code).to.equal(0);
    const line = unknown.stdout.split("\n").find((l) => l.includes("[error]"));
    expect(line).to.match(new RegExp(`^(> )?\\[error\\] ${mesh.url}/v1/chat/completions answered 404: model_not_found: .*no-such-model`));
    expect(unknown.stdout).to.not.contain("{");
    const noKey = await pipedChat(["--url", keyedUrl], "hi\n");
    expect(noKey.code).to.equal(1);
    expect(noKey.stderr.trim()).to.match(new RegExp(`^\\[error\\] ${keyedUrl}/v1/models answered 401: invalid_api_key: missing API key`));
    const withKey = await pipedChat(["--url", keyedUrl, "--model", "fast-chat", "--max-tokens", "3", "--api-key", "sk-chat"], "hi\n");
    expect(withKey.stdout).to.contain("[cut: the answer reached --max-tokens 3]");
    expect(withKey.stdout).to.not.contain("[error]");
  });
});
