// End to end through real processes — onnx and mocker workers, router, preprocessor, frontend —
// with the official `openai` client: reference text, chat templates, usage and cached tokens,
// every reachable row of the error table while other requests keep succeeding, a worker lost
// mid-stream with migration off, and a hundred clients that go away mid-stream.
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import * as ort from "onnxruntime-node";
import type { Tokenizer } from "@huggingface/tokenizers";
import { FileDiscovery } from "#common/discovery/index.js";
import type { Registration } from "#common/discovery/index.js";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { plainGreedy } from "../support/plain-greedy.js";
import { stopAllProcesses } from "../support/process.js";
import { loadStoriesTokenizer, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { getLoad } from "../support/worker-process.js";

const LILY = ", there was a little girl named Lily. She loved to play outside in the park.";
const TEMPLATE = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
const LONG = "One day, a little boy named Tim went to the park with his mom. He saw a big tree and wanted to climb it. His mom said, \"Be careful, Tim!\"";

interface ErrorJson { error: { message: string; type: string; param: string | null; code: string | null } }

async function post(url: string, path: string, body: object): Promise<{ status: number; json: ErrorJson; headers: Headers }> {
  const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as ErrorJson, headers: res.headers };
}

describe("end to end: the OpenAI API over a real mesh (stories260K)", function () {
  this.timeout(180_000);
  let mesh: Mesh;
  let openai: OpenAI;
  let tokenizer: Tokenizer;
  let session: ort.InferenceSession;
  let ghost: Registration | undefined;
  let discovery: FileDiscovery;

  before(async function () {
    requireStoriesModel(this);
    tokenizer = loadStoriesTokenizer();
    const template = join(mkdtempSync(join(tmpdir(), "kvmesh-tpl-")), "template.jinja");
    writeFileSync(template, TEMPLATE);
    const mocker = ["--engine", "mocker", "--model", storiesModelDir];
    mesh = await startMesh([
      ["--model", storiesModelDir, "--block-size", "16"],
      ["--model", storiesModelDir, "--model-name", "stories-chat", "--chat-template", template],
      [...mocker, "--model-name", "mock-slow", "--speedup-ratio", "0.05", "--max-num-seqs", "1", "--max-waiting", "1"],
      [...mocker, "--model-name", "mock-victim", "--speedup-ratio", "0.5"],
    ], { router: ["--migration-limit", "0"] });
    openai = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: "unused", maxRetries: 0 });
    session = await ort.InferenceSession.create(join(storiesModelDir, "onnx", "model.onnx"), { intraOpNumThreads: 1 });
    discovery = new FileDiscovery({ namespace: "kvmesh", dir: mesh.registryDir, ttlMs: 1000 });
  });
  after(async () => {
    await ghost?.deregister();
    await discovery?.close();
    await session?.release();
    await stopAllProcesses();
  });

  it("lists every served model", async () => {
    const ids = (await openai.models.list()).data.map((m) => m.id).sort();
    expect(ids).to.deep.equal(["mock-slow", "mock-victim", "stories-chat", "stories260K"]);
  });

  it("completes \"Once upon a time\" with the reference text, streaming and not, with the right usage", async () => {
    const promptIds = tokenizer.encode("Once upon a time").ids;
    const reference = tokenizer.decode(await plainGreedy(session, promptIds, 64), { skip_special_tokens: true });
    const whole = await openai.completions.create({ model: "stories260K", prompt: "Once upon a time", temperature: 0, max_tokens: 64 });
    expect(whole.choices[0].text.startsWith(LILY)).to.equal(true);
    expect(whole.choices[0].text.trim()).to.equal(reference.trim());
    expect(whole.usage).to.deep.include({ prompt_tokens: promptIds.length, completion_tokens: 64, total_tokens: promptIds.length + 64 });
    const stream = await openai.completions.create({ model: "stories260K", prompt: "Once upon a time", temperature: 0, max_tokens: 64, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).to.equal(whole.choices[0].text);
    expect(usage?.completion_tokens).to.equal(64);
  });

  it("serves chat with a --chat-template and answers 400 without one", async () => {
    const chat = await openai.chat.completions.create({ model: "stories-chat", messages: [{ role: "user", content: "Once upon a time" }], temperature: 0, max_tokens: 24 });
    expect(chat.choices[0].message.content?.startsWith(", there was a little girl")).to.equal(true);
    const { status, json } = await post(mesh.url, "/v1/chat/completions", { model: "stories260K", messages: [{ role: "user", content: "hi" }] });
    expect(status).to.equal(400);
    expect(json.error.type).to.equal("invalid_request_error");
    expect(json.error.message).to.include("chat template");
  });

  it("reports cached tokens for a repeated 48+ token prompt, also when a stop string ends it", async () => {
    const ids = tokenizer.encode(LONG).ids;
    expect(ids.length).to.be.at.least(48);
    const first = await openai.completions.create({ model: "stories260K", prompt: LONG, max_tokens: 8, temperature: 0 });
    const second = await openai.completions.create({ model: "stories260K", prompt: LONG, max_tokens: 8, temperature: 0 });
    expect(second.usage?.prompt_tokens_details?.cached_tokens).to.equal(Math.floor((ids.length - 1) / 16) * 16);
    expect(second.choices[0].text).to.equal(first.choices[0].text);
    // A stop string ends the stream before the worker's last message: the count still arrives.
    const word = first.choices[0].text.trim().split(/\s+/)[1];
    expect(word, "greedy output has a second word").to.be.a("string").and.not.equal("");
    const stopped = await openai.completions.create({ model: "stories260K", prompt: LONG, max_tokens: 8, temperature: 0, stop: [word] });
    expect(stopped.choices[0].finish_reason).to.equal("stop");
    expect(stopped.usage?.completion_tokens).to.be.below(8);
    expect(stopped.usage?.prompt_tokens_details?.cached_tokens).to.equal(Math.floor((ids.length - 1) / 16) * 16);
  });

  it("produces each reachable row of the error table while the requests around it succeed", async () => {
    ghost = await discovery.register({ service: "worker", instanceId: "worker-ghost", address: "127.0.0.1", port: 9, meta: { model: "ghost", block_size: "16", context_length: "512" } });
    const timeoutFrontend = await mesh.addFrontend(["--request-timeout", "500ms"]);
    let background = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        const r = await openai.completions.create({ model: "stories260K", prompt: "The cat", max_tokens: 8, temperature: 0 });
        expect(r.choices[0].text.length).to.be.greaterThan(0);
        background++;
      }
    })();
    const rows: Array<[string, string, string, object, number, string, string | null]> = [
      ["bad field", mesh.url, "/v1/completions", { model: "stories260K", prompt: "x", temperature: 9 }, 400, "invalid_request_error", null],
      ["no chat template", mesh.url, "/v1/chat/completions", { model: "stories260K", messages: [{ role: "user", content: "x" }] }, 400, "invalid_request_error", null],
      ["prompt too long", mesh.url, "/v1/completions", { model: "stories260K", prompt: new Array(600).fill(300) }, 400, "invalid_request_error", "context_length_exceeded"],
      ["model not in discovery", mesh.url, "/v1/completions", { model: "nope", prompt: "x" }, 404, "invalid_request_error", "model_not_found"],
      ["unsupported parameter", mesh.url, "/v1/completions", { model: "stories260K", prompt: "x", best_of: 2 }, 400, "invalid_request_error", "unsupported_parameter"],
      ["known model, no routable worker", mesh.url, "/v1/completions", { model: "ghost", prompt: "x" }, 503, "server_error", "no_worker"],
      ["timeout", timeoutFrontend, "/v1/completions", { model: "mock-slow", prompt: "x", max_tokens: 200, ignore_eos: true }, 504, "server_error", "timeout"],
    ];
    for (const [what, url, path, body, status, type, code] of rows) {
      const res = await post(url, path, body);
      expect(res.status, `${what}: ${JSON.stringify(res.json)}`).to.equal(status);
      expect(res.json.error.type, what).to.equal(type);
      expect(res.json.error.code, what).to.equal(code);
      expect(res.json.error.message, what).to.be.a("string").and.not.equal("");
    }
    // All busy / queue full: one running, one waiting, the rest refused with Retry-After.
    const burst = await Promise.all(Array.from({ length: 6 }, () => post(mesh.url, "/v1/completions", { model: "mock-slow", prompt: "x", max_tokens: 4, ignore_eos: true })));
    const refused = burst.filter((r) => r.status === 503);
    expect(refused.length, "some requests refused").to.be.greaterThan(0);
    for (const r of refused) {
      expect(r.json.error.code).to.equal("overloaded");
      expect(r.headers.get("retry-after")).to.match(/^\d+$/);
    }
    expect(burst.filter((r) => r.status === 200).length).to.be.greaterThan(0);
    stop = true;
    await traffic;
    expect(background).to.be.greaterThan(0);
  });

  it("ends a stream whose worker dies (migration off) with an SSE error chunk, then [DONE]", async () => {
    const victim = mesh.workers[3];
    const res = await fetch(`${mesh.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "mock-victim", prompt: "x", max_tokens: 500, ignore_eos: true, stream: true }) });
    expect(res.status).to.equal(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).to.match(/^data: /);
    victim.proc.signal("SIGKILL");
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    const events = rest.split("\n\n").filter((e) => e !== "").map((e) => e.replace(/^data: /, ""));
    expect(events.at(-1)).to.equal("[DONE]");
    const error = JSON.parse(events.at(-2)!) as ErrorJson;
    expect(error.error.type).to.equal("server_error");
  });

  it("leaves blocks_active 0 on every worker after a hundred clients go away mid-stream", async () => {
    const aborts = Array.from({ length: 100 }, async (_, i) => {
      const controller = new AbortController();
      const res = await fetch(`${mesh.url}/v1/completions`, {
        method: "POST", signal: controller.signal, headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: i % 2 ? "stories260K" : "stories-chat", prompt: `${LONG} ${i}`, max_tokens: 300, ignore_eos: true, stream: true }),
      });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
    });
    await Promise.allSettled(aborts);
    for (const worker of mesh.workers.slice(0, 3)) {
      let load = await getLoad(worker.client());
      for (let i = 0; i < 200 && (load.blocksActive > 0 || load.running > 0 || load.waiting > 0); i++) {
        await new Promise((r) => setTimeout(r, 50));
        load = await getLoad(worker.client());
      }
      expect(load, worker.workerIds[0]).to.include({ blocksActive: 0, running: 0, waiting: 0 });
    }
  });
});
