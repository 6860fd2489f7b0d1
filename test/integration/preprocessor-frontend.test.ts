// The OpenAI API through the real frontend and the real preprocessor, with a fake router and
// worker: chat rendering and stop strings end to end (the router call is cancelled), and the
// error table's HTTP side for errors the preprocessor raises.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileDiscovery } from "#common/discovery/index.js";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { GenerateRequest } from "#contracts/gen/kvmesh/v1/common.js";
import type { FakeRouter, FakeStep } from "../support/fake-router.js";
import { startFakeRouter } from "../support/fake-router.js";
import type { FakeWorker } from "../support/card-only-worker.js";
import { startFakeWorker } from "../support/card-only-worker.js";
import { startProcess, stopAllProcesses } from "../support/process.js";
import { storiesModelCard } from "../support/stories-card.js";
import { loadStoriesTokenizer, repoRoot, requireStoriesModel } from "../support/stories-model.js";
import { KVMESH_CLI } from "../support/worker-process.js";

const TEMPLATE = "{% for m in messages %}{{ m.role + ': ' + m.content + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";

/** "chatty" streams a stop string and stays open; other models finish normally. */
function script(request: GenerateRequest): FakeStep[] {
  const ids = loadStoriesTokenizer().encode(request.model === "chatty" ? "Once upon a STOP time" : "Hello there", { add_special_tokens: false }).ids;
  const end: FakeStep = request.model === "chatty" ? { hold: true } : { send: { tokenIds: [], finishReason: FinishReason.FINISH_REASON_LENGTH, usage: { promptTokens: request.tokenIds.length, completionTokens: ids.length, cachedTokens: 0 } } };
  return [...ids.map((id: number): FakeStep => ({ send: { tokenIds: [id] } })), end];
}

describe("OpenAI API through the real frontend and preprocessor (fake router and worker)", function () {
  this.timeout(60_000);
  let dir: string;
  let discovery: FileDiscovery;
  let router: FakeRouter;
  const workers: FakeWorker[] = [];
  let base: string;

  before(async function () {
    requireStoriesModel(this);
    dir = mkdtempSync(join(tmpdir(), "kvmesh-preprocessor-frontend-"));
    discovery = new FileDiscovery({ namespace: "kvmesh", dir, ttlMs: 1000 });
    router = await startFakeRouter(discovery, "router-1", script);
    workers.push(await startFakeWorker(discovery, "worker-stories", storiesModelCard()));
    workers.push(await startFakeWorker(discovery, "worker-chatty", storiesModelCard({ name: "chatty", chatTemplate: TEMPLATE })));
    const common = ["--discovery-dir", dir, "--discovery-ttl", "1s"];
    const pre = startProcess("node", [KVMESH_CLI, "preprocessor", ...common], { cwd: repoRoot });
    await pre.waitForListening(20_000);
    const frontend = startProcess("node", [KVMESH_CLI, "frontend", "--http-port", "0", ...common], { cwd: repoRoot });
    await frontend.waitForListening(20_000);
    const line = frontend.lines.find((l) => l.includes('"listening"'))!;
    base = `http://127.0.0.1:${(JSON.parse(line) as { http_port: number }).http_port}`;
  });
  after(async () => {
    await stopAllProcesses();
    await Promise.all([router?.stop(), ...workers.map((w) => w.stop())]);
    await discovery?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = async (path: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it("a chat completion is rendered with the template and ends at the stop string, cancelling the router call", async () => {
    const { status, json } = await post("/v1/chat/completions", { model: "chatty", messages: [{ role: "user", content: "Hi" }], stop: ["STOP"] });
    expect(status, JSON.stringify(json)).to.equal(200);
    const choice = (json.choices as Array<{ message: { content: string }; finish_reason: string }>)[0];
    expect(choice.message.content).to.equal(" Once upon a ");
    expect(choice.finish_reason).to.equal("stop");
    const seen = router.calls.find((c) => c.request.model === "chatty")!;
    expect(seen.request.tokenIds).to.deep.equal(loadStoriesTokenizer().encode("user: Hi\nassistant:", { add_special_tokens: false }).ids);
    await Promise.race([seen.cancelled, new Promise((_, reject) => setTimeout(() => reject(new Error("the router call was not cancelled")), 5000))]);
  });

  it("a completion streams the detokenized text", async () => {
    const { status, json } = await post("/v1/completions", { model: "stories260K", prompt: "Once upon a time" });
    expect(status, JSON.stringify(json)).to.equal(200);
    expect((json.choices as Array<{ text: string; finish_reason: string }>)[0]).to.deep.include({ text: " Hello there", finish_reason: "length" });
  });

  // stories260K: context 512 × longest token 7 bytes = 3,584 bytes pass the byte pre-check.
  const ERRORS: Array<{ name: string; path: string; body: object; status: number; code?: string; param?: string; message?: RegExp }> = [
    { name: "chat on a model without a template → 400", path: "/v1/chat/completions", body: { model: "stories260K", messages: [{ role: "user", content: "Hi" }] }, status: 400 },
    { name: "a prompt over the context length → 400 context_length_exceeded", path: "/v1/completions", body: { model: "stories260K", prompt: "the end ".repeat(400) }, status: 400, code: "context_length_exceeded" },
    { name: "a prompt one byte past context × longest token → 400 context_length_exceeded (param prompt), untokenized", path: "/v1/completions", body: { model: "stories260K", prompt: "a".repeat(3585) }, status: 400, code: "context_length_exceeded", param: "prompt", message: /3585 bytes of UTF-8/ },
    { name: "a prompt at context × longest token passes the byte check (and fails on tokens)", path: "/v1/completions", body: { model: "stories260K", prompt: "a".repeat(3584) }, status: 400, code: "context_length_exceeded", message: /the prompt has \d+ tokens/ },
    { name: "chat content past the byte limit → 400 context_length_exceeded (param messages)", path: "/v1/chat/completions", body: { model: "chatty", messages: [{ role: "user", content: "日".repeat(1195) }] }, status: 400, code: "context_length_exceeded", param: "messages", message: /3585 bytes of UTF-8/ },
  ];
  for (const e of ERRORS) {
    it(e.name, async () => {
      const { status, json } = await post(e.path, e.body);
      expect(status, JSON.stringify(json)).to.equal(e.status);
      const error = json.error as { type: string; code?: string; message: string };
      expect(error.type).to.equal("invalid_request_error");
      if (e.code) expect(error.code).to.equal(e.code);
      if (e.param) expect((json.error as { param?: string }).param).to.equal(e.param);
      if (e.message) expect(error.message).to.match(e.message);
    });
  }
});
