import { expect } from "chai";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "#common/logger.js";
import { loadModelDir } from "#models/model-dir.js";
import { ModelLoadError } from "#models/model-errors.js";
import type { ProgressSink } from "#models/hub/progress.js";
import { downloadBlob } from "#models/hub/download-blob.js";
import { hubSettingsFromEnv } from "#models/hub/hub-settings.js";
import { resolveModel } from "#models/resolve-model.js";
import { startHubMirror } from "../support/hub-mirror.js";
import { startProcess } from "../support/process.js";
import type { HubMirror } from "../support/hub-mirror.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";

const REPO = "kvmesh-test/stories260K";
const ONNX = "onnx/model.onnx";
const onnxBytes = (): Buffer => readFileSync(join(storiesModelDir, ONNX));
const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

/** Records what a download reported, per file. */
function recordingProgress(): ProgressSink & { readonly files: Map<string, { total?: number; have: number; bytes: number; ended: boolean }> } {
  const files = new Map<string, { total?: number; have: number; bytes: number; ended: boolean }>();
  let current = "";
  return {
    files,
    begin: (file, total, have) => void files.set((current = file), { total, have, bytes: 0, ended: false }),
    advance: (bytes) => void (files.get(current)!.bytes += bytes),
    end: () => void (files.get(current)!.ended = true),
  };
}

describe("models: Hugging Face hub download into the cache (loopback mirror)", function () {
  let mirror: HubMirror;
  let root: string;
  const logLines: string[] = [];
  const log = createLogger({ service: "test", destination: { write: (line: string) => void logLines.push(line) } });
  const envFor = (hfHome: string, extra: Record<string, string> = {}) => ({ HF_ENDPOINT: mirror.endpoint, HF_HOME: hfHome, ...extra });
  let home = 0;
  const freshHome = (): string => join(root, `hf${home++}`);

  before(async function () {
    requireStoriesModel(this);
    mirror = await startHubMirror({ repos: { [REPO]: storiesModelDir } });
    root = mkdtempSync(join(tmpdir(), "kvmesh-hub-"));
  });
  after(async () => {
    await mirror?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("downloads the model files with progress into the hub cache layout, and the result loads", async () => {
    const hfHome = freshHome();
    const progress = recordingProgress();
    const dir = await resolveModel(REPO, { log, env: envFor(hfHome), progress });
    const commit = mirror.commitOf(REPO);
    const repoRoot = join(hfHome, "hub", "models--kvmesh-test--stories260K");
    expect(dir).to.equal(join(repoRoot, "snapshots", commit));
    expect(readFileSync(join(repoRoot, "refs", "main"), "utf8")).to.equal(commit);
    expect(lstatSync(join(dir, ONNX)).isSymbolicLink()).to.equal(true);
    expect(readlinkSync(join(dir, ONNX))).to.equal(`../../../blobs/${sha256(onnxBytes())}`);
    expect(readFileSync(join(dir, ONNX)).equals(onnxBytes())).to.equal(true);
    expect([...progress.files.keys()].sort()).to.deep.equal(["config.json", "generation_config.json", ONNX, "tokenizer.json", "tokenizer_config.json"]);
    expect(progress.files.get(ONNX)).to.deep.equal({ total: onnxBytes().length, have: 0, bytes: onnxBytes().length, ended: true });
    expect(existsSync(join(dir, "LICENSE")), "only the files a worker needs").to.equal(false);
    const model = loadModelDir(dir);
    expect([model.numLayers, model.vocabSize]).to.deep.equal([5, 512]);
  });

  it("a second start uses the cache without any request, online or with HF_HUB_OFFLINE=1", async () => {
    const hfHome = freshHome();
    const first = await resolveModel(REPO, { log, env: envFor(hfHome), progress: recordingProgress() });
    const before = mirror.requests.length;
    expect(await resolveModel(REPO, { log, env: envFor(hfHome) })).to.equal(first);
    expect(await resolveModel(REPO, { log, env: envFor(hfHome, { HF_HUB_OFFLINE: "1" }) })).to.equal(first);
    expect(await resolveModel(REPO, { log, env: envFor(hfHome, { HF_HUB_OFFLINE: "1" }), revision: mirror.commitOf(REPO) })).to.equal(first);
    expect(mirror.requests.length).to.equal(before);
  });

  it("writes progress log lines when no progress sink is given and stderr is not a TTY", async function () {
    if (process.stderr.isTTY) this.skip();
    logLines.length = 0;
    await resolveModel(REPO, { log, env: envFor(freshHome()) });
    const records = logLines.map((l) => JSON.parse(l) as { msg: string; file?: string; percent?: number });
    const onnx = records.filter((r) => r.msg === "download progress" && r.file === ONNX).map((r) => r.percent);
    expect(onnx[0]).to.equal(0);
    expect(onnx[onnx.length - 1]).to.equal(100);
    expect(records.some((r) => r.msg === "model ready in cache")).to.equal(true);
  });

  it("resumes a download the server cut mid-way with a Range request, and verifies it", async () => {
    const hfHome = freshHome();
    const half = Math.floor(onnxBytes().length / 2);
    mirror.cutOnce(ONNX, half);
    const from = mirror.requests.length;
    const dir = await resolveModel(REPO, { log, env: envFor(hfHome), progress: recordingProgress() });
    expect(readFileSync(join(dir, ONNX)).equals(onnxBytes())).to.equal(true);
    const onnxRequests = mirror.requests.slice(from).filter((r) => r.url.endsWith(ONNX));
    expect(onnxRequests).to.have.length(2);
    expect(onnxRequests[0].headers.range).to.equal(undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(String(onnxRequests[1].headers.range))?.[1]);
    expect(resumedAt).to.be.greaterThan(0).and.at.most(half);
  });

  it("keeps the partial blob when every attempt breaks, and the next run resumes it", async () => {
    const hfHome = freshHome();
    const blobPath = join(hfHome, "blobs", "model");
    const bytes = onnxBytes();
    const request = { url: `${mirror.endpoint}/${REPO}/resolve/main/${ONNX}`, blobPath, file: ONNX, size: bytes.length, sha256: sha256(bytes) };
    const context = { settings: hubSettingsFromEnv(envFor(hfHome)), log, progress: recordingProgress(), attempts: 1 };
    mirror.cutOnce(ONNX, 300_000);
    const error = await downloadBlob(request, context).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ModelLoadError);
    expect(String(error)).to.match(/download of onnx\/model\.onnx broke off after \d+ bytes .*; run again to resume it/);
    const kept = readFileSync(`${blobPath}.incomplete`);
    expect(kept.length).to.be.greaterThan(0).and.at.most(300_000);
    expect(kept.equals(bytes.subarray(0, kept.length))).to.equal(true);
    const from = mirror.requests.length;
    await downloadBlob(request, context);
    expect(mirror.requests.slice(from).map((r) => r.headers.range)).to.deep.equal([`bytes=${kept.length}-`]);
    expect(readFileSync(blobPath).equals(bytes)).to.equal(true);
    expect(existsSync(`${blobPath}.incomplete`)).to.equal(false);
  });

  it("resumes a partial .incomplete blob left by an earlier run", async () => {
    const hfHome = freshHome();
    const blobs = join(hfHome, "hub", "models--kvmesh-test--stories260K", "blobs");
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256(onnxBytes())}.incomplete`), onnxBytes().subarray(0, 1000));
    const progress = recordingProgress();
    const from = mirror.requests.length;
    const dir = await resolveModel(REPO, { log, env: envFor(hfHome), progress });
    expect(readFileSync(join(dir, ONNX)).equals(onnxBytes())).to.equal(true);
    expect(mirror.requests.slice(from).find((r) => r.url.endsWith(ONNX))?.headers.range).to.equal("bytes=1000-");
    expect(progress.files.get(ONNX)).to.include({ have: 1000, bytes: onnxBytes().length - 1000 });
  });

  it("rejects and deletes a download whose sha256 differs from the hub's", async () => {
    const hfHome = freshHome();
    const blobs = join(hfHome, "hub", "models--kvmesh-test--stories260K", "blobs");
    mkdirSync(blobs, { recursive: true });
    const partial = join(blobs, `${sha256(onnxBytes())}.incomplete`);
    writeFileSync(partial, Buffer.alloc(1000, 7)); // wrong first bytes; the rest comes from the hub
    const error = await resolveModel(REPO, { log, env: envFor(hfHome), progress: recordingProgress() }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ModelLoadError);
    expect(String(error)).to.match(/downloaded onnx\/model\.onnx is corrupt \(sha256 differs from the hub's [0-9a-f]{64}\)/);
    expect(existsSync(partial)).to.equal(false);
  });

  it("concurrent starts on one cache download each file once and all get the same snapshot", async () => {
    const hfHome = freshHome();
    const from = mirror.requests.length;
    const dirs = await Promise.all([1, 2, 3].map(() => resolveModel(REPO, { log, env: envFor(hfHome), progress: recordingProgress() })));
    expect(new Set(dirs).size).to.equal(1);
    expect(readFileSync(join(dirs[0], ONNX)).equals(onnxBytes())).to.equal(true);
    expect(mirror.requests.slice(from).filter((r) => r.url.endsWith(ONNX))).to.have.length(1);
    expect(existsSync(join(hfHome, "hub", "models--kvmesh-test--stories260K", "blobs", `${sha256(onnxBytes())}.lock`))).to.equal(false);
  });

  it("takes over a blob lock left by a process that died", async () => {
    const hfHome = freshHome();
    const dead = startProcess(process.execPath, ["-e", ""]);
    await dead.waitForExit();
    const blobs = join(hfHome, "hub", "models--kvmesh-test--stories260K", "blobs");
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256(onnxBytes())}.lock`), String(dead.pid));
    const dir = await resolveModel(REPO, { log, env: envFor(hfHome), progress: recordingProgress() });
    expect(readFileSync(join(dir, ONNX)).equals(onnxBytes())).to.equal(true);
  });

  it("sends HF_TOKEN as a bearer token on every request", async () => {
    const gated = await startHubMirror({ repos: { [REPO]: storiesModelDir }, token: "hf_secret" });
    try {
      const env = { HF_ENDPOINT: gated.endpoint, HF_HOME: freshHome(), HF_TOKEN: "hf_secret" };
      await resolveModel(REPO, { log, env, progress: recordingProgress() });
      expect(gated.requests.length).to.be.greaterThan(5);
      expect(new Set(gated.requests.map((r) => r.headers.authorization))).to.deep.equal(new Set(["Bearer hf_secret"]));
      const refused = await resolveModel(REPO, { log, env: { ...env, HF_HOME: freshHome(), HF_TOKEN: "" } }).catch((e: unknown) => e);
      expect(String(refused)).to.match(/refused kvmesh-test\/stories260K@main \(401\): it may not exist, or be gated or private \(set HF_TOKEN\)/);
    } finally {
      await gated.close();
    }
  });
});
