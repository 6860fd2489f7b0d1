// The worker process's life: flags and --help, a clear failure for --device cuda without the
// CUDA provider, and SIGTERM with an open stream (deregister first, finish the stream, exit 0).
import { expect } from "chai";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { FileDiscovery } from "#common/discovery/index.js";
import { stopAllProcesses } from "../support/process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHubMirror } from "../support/hub-mirror.js";
import { collectStream, generate, getModelCard, KVMESH_CLI, startWorkerProcess } from "../support/worker-process.js";

const run = promisify(execFile);

describe("worker process lifecycle", function () {
  this.timeout(60_000);
  before(function () {
    requireStoriesModel(this);
  });
  after(() => stopAllProcesses());

  it("--help lists every worker flag of ARCHITECTURE.md", async () => {
    const { stdout } = await run("node", [KVMESH_CLI, "worker", "--help"]);
    const flags = ["model", "model-name", "engine", "block-size", "num-kv-blocks", "max-num-seqs", "max-batched-tokens", "max-waiting",
      "chat-template", "speedup-ratio", "context-length", "device", "onnx-variant", "namespace", "discovery", "nats-url", "listen"];
    for (const flag of flags) expect(stdout, flag).to.include(`--${flag}`);
  });

  it("fails with a clear message for --device cuda when the CUDA provider is absent", async () => {
    const err = await run("node", [KVMESH_CLI, "worker", "--model", storiesModelDir, "--device", "cuda", "--discovery-dir", "/tmp/kvmesh-cuda-test"]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).to.equal(1);
    expect(err?.stderr).to.match(/--device cuda: onnxruntime-node's CUDA execution provider could not be loaded/);
  });

  it("rejects a bad flag value, naming it, with exit 2", async () => {
    const err = await run("node", [KVMESH_CLI, "worker", "--engine", "gpu", "--block-size", "0"]).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).to.equal(2);
    expect(err?.stderr).to.include("--engine").and.include("--block-size");
  });

  it("rejects a --chat-template that is neither a file nor a template, with exit 2", async () => {
    const err = await run("node", [KVMESH_CLI, "worker", "--model", storiesModelDir, "--chat-template", "/no/such/template.jinja"]).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).to.equal(2);
    expect(err?.stderr).to.include("neither a readable file nor a Jinja template");
  });

  it("answers RESOURCE_EXHAUSTED beyond --max-waiting and still serves the admitted requests", async () => {
    const worker = await startWorkerProcess(["--model", storiesModelDir, "--engine", "mocker", "--speedup-ratio", "1", "--max-num-seqs", "1", "--max-waiting", "2"]);
    const send = (i: number) => collectStream(worker.client().generate({ requestId: `q${i}`, model: "", tokenIds: [5, 6, 7, i], stop: { maxTokens: 20, stopTokenIds: [], ignoreEos: true } }));
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(send));
    const rejected = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason as { code: number; details: string });
    const served = results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<{ tokens: number[] }>).value);
    expect(rejected.length, "some requests were refused").to.be.greaterThan(0);
    for (const err of rejected) expect(err.code).to.equal(8);
    expect(served.length).to.be.at.least(3);
    for (const r of served) expect(r.tokens).to.have.length(20);
    await worker.proc.stop();
  });

  it("downloads a Hugging Face repo id through HF_ENDPOINT once, then serves it from the cache without a request", async () => {
    const mirror = await startHubMirror({ repos: { "kvmesh-test/stories260K": storiesModelDir } });
    const env = { HF_ENDPOINT: mirror.endpoint, HF_HOME: mkdtempSync(join(tmpdir(), "kvmesh-hf-")) };
    try {
      const first = await startWorkerProcess(["--model", "kvmesh-test/stories260K"], { env });
      expect((await getModelCard(first.client())).card?.name).to.equal("kvmesh-test/stories260K");
      const out = await generate(first.client(), { tokenIds: [1, 403, 407, 261, 378], stop: { maxTokens: 8, stopTokenIds: [], ignoreEos: true } });
      expect(out.tokens).to.have.length(8);
      await first.proc.stop();
      const requests = mirror.requests.length;
      expect(requests).to.be.greaterThan(0);
      const second = await startWorkerProcess(["--model", "kvmesh-test/stories260K"], { env });
      expect((await getModelCard(second.client())).card?.name).to.equal("kvmesh-test/stories260K");
      expect(mirror.requests.length, "no request on the second start").to.equal(requests);
      await second.proc.stop();
    } finally {
      await mirror.close();
    }
  });

  it("serves the generated kvmesh-tiny-random model when no --model is given", async () => {
    const env = { HF_HOME: mkdtempSync(join(tmpdir(), "kvmesh-hf-")) };
    const worker = await startWorkerProcess([], { env });
    const { card } = await getModelCard(worker.client());
    expect(card).to.include({ name: "kvmesh-tiny-random", engine: "onnx" });
    expect(JSON.parse(card!.tokenizerConfigJson).chat_template).to.include("<|im_start|>");
    const a = await generate(worker.client(), { tokenIds: [72, 105, 33], sampling: { temperature: 0.8, seed: 11n }, stop: { maxTokens: 12, stopTokenIds: [], ignoreEos: true } });
    const b = await generate(worker.client(), { tokenIds: [72, 105, 33], sampling: { temperature: 0.8, seed: 11n }, stop: { maxTokens: 12, stopTokenIds: [], ignoreEos: true } });
    expect(a.tokens).to.have.length(12);
    expect(b.tokens).to.deep.equal(a.tokens);
    await worker.proc.stop();
  });

  it("on SIGTERM deregisters, lets the open stream finish and exits 0", async () => {
    // Slow simulated steps keep the stream open across the signal.
    const worker = await startWorkerProcess(["--model", storiesModelDir, "--engine", "mocker", "--speedup-ratio", "0.5", "--shutdown-grace", "20s"]);
    const discovery = new FileDiscovery({ namespace: "kvmesh", dir: worker.registryDir, ttlMs: 1000 });
    expect((await discovery.list("worker")).map((i) => i.instanceId)).to.deep.equal(worker.workerIds);
    const stream = worker.client().generate({ requestId: "long", model: "", tokenIds: [5, 6, 7, 8], stop: { maxTokens: 60, stopTokenIds: [], ignoreEos: true } });
    const result = collectStream(stream);
    let ended = false;
    stream.on("end", () => (ended = true));
    await new Promise<void>((resolve) => stream.once("data", () => resolve()));
    worker.proc.signal("SIGTERM");
    for (let i = 0; i < 100 && (await discovery.list("worker")).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await discovery.list("worker")).to.deep.equal([]);
    expect(ended, "the stream is still open when the worker has left discovery").to.equal(false);
    const done = await result;
    expect(done.tokens).to.have.length(60);
    expect(done.indexes[0]).to.equal(0);
    expect(await worker.proc.waitForExit(20_000)).to.equal(0);
    await discovery.close();
  });
});
