import { expect } from "chai";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModelDir } from "#models/model-dir.js";
import { startHubMirror } from "../support/hub-mirror.js";
import type { HubMirror } from "../support/hub-mirror.js";
import { startProcess } from "../support/process.js";
import { repoRoot, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";

const KVMESH = join(repoRoot, "dist", "cli", "kvmesh.js");
const REPO = "kvmesh-test/stories260K";

describe("kvmesh model pull | list | create-tiny", function () {
  let mirror: HubMirror;
  let root: string;
  let env: Record<string, string>;

  async function kvmesh(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; lines: string[]; printed?: string }> {
    const proc = startProcess(process.execPath, [KVMESH, "model", ...args], { env: { ...env, ...extraEnv } });
    const code = await proc.waitForExit(30_000);
    const lines = proc.lines.filter((l) => l !== "");
    // stdout and stderr arrive through separate pipes: the printed path is the last non-log line.
    return { code, lines, printed: lines.filter((l) => !l.startsWith("{")).at(-1) };
  }

  before(async function () {
    requireStoriesModel(this);
    mirror = await startHubMirror({ repos: { [REPO]: storiesModelDir } });
    root = mkdtempSync(join(tmpdir(), "kvmesh-model-cli-"));
    env = { HF_ENDPOINT: mirror.endpoint, HF_HOME: join(root, "hf"), HF_TOKEN: "", HF_HUB_OFFLINE: "" };
  });
  after(async () => {
    await mirror?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("pull downloads with progress log lines and prints the snapshot directory", async () => {
    const { code, lines, printed: dir } = await kvmesh(["pull", REPO]);
    expect(code, lines.join("\n")).to.equal(0);
    expect(dir).to.equal(join(root, "hf", "hub", "models--kvmesh-test--stories260K", "snapshots", mirror.commitOf(REPO)));
    expect(lines.filter((l) => l.includes('"download progress"') && l.includes('"percent":100'))).to.have.length.greaterThan(3);
    expect(loadModelDir(dir!).vocabSize).to.equal(512);
  });

  it("pull again, offline, answers from the cache without a request", async () => {
    const before = mirror.requests.length;
    const { code, lines, printed } = await kvmesh(["pull", REPO], { HF_HUB_OFFLINE: "1" });
    expect(code, lines.join("\n")).to.equal(0);
    expect(printed).to.match(/snapshots\/[0-9a-f]{40}$/);
    expect(mirror.requests.length).to.equal(before);
  });

  it("pull again, online, asks the hub for the revision once and downloads nothing", async () => {
    const before = mirror.requests.length;
    const { code, lines } = await kvmesh(["pull", REPO]);
    expect(code, lines.join("\n")).to.equal(0);
    expect(mirror.requests.slice(before).map((r) => r.url)).to.deep.equal([`/api/models/${REPO}/revision/main?blobs=true`]);
  });

  it("list shows the cached repository with its revision, commit and ONNX variants", async () => {
    const { code, lines } = await kvmesh(["list"]);
    expect(code).to.equal(0);
    expect(lines[0]).to.match(/^MODEL\s+REVISION\s+COMMIT\s+ONNX\s+SIZE\s+PATH$/);
    const row = lines.find((l) => l.startsWith(REPO));
    expect(row).to.match(new RegExp(`^${REPO}\\s+main\\s+${mirror.commitOf(REPO).slice(0, 12)}\\s+model\\.onnx\\s+1\\.\\d MB\\s+/`));
  });

  it("pull of a missing variant fails with exit 1 and names the variants present", async () => {
    const { code, lines } = await kvmesh(["pull", REPO, "--onnx-variant", "model_q4.onnx", "--revision", "main"]);
    expect(code).to.equal(1);
    expect(lines.join("\n")).to.match(/kvmesh model: kvmesh-test\/stories260K has no onnx\/model_q4\.onnx \(--onnx-variant\); variants present: \(default\) model\.onnx/);
  });

  it("create-tiny writes a loadable model directory; usage errors exit 2", async () => {
    const dir = join(root, "tiny");
    const { code, printed } = await kvmesh(["create-tiny", dir]);
    expect(code).to.equal(0);
    expect(printed).to.equal(dir);
    expect(loadModelDir(dir).name).to.equal("tiny");
    expect((await kvmesh(["pull"])).code).to.equal(2);
    expect((await kvmesh(["frobnicate"])).code).to.equal(2);
    expect(existsSync(join(root, "hf", "kvmesh")), "create-tiny <dir> does not touch the cache").to.equal(false);
  });
});
