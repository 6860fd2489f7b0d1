import { expect } from "chai";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "#common/logger.js";
import { ModelLoadError } from "#models/model-errors.js";
import { resolveModel } from "#models/resolve-model.js";
import type { ResolveModelOptions } from "#models/resolve-model.js";
import { startHubMirror } from "../support/hub-mirror.js";
import type { HubMirror } from "../support/hub-mirror.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";

/** A loopback port with nothing listening (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("models: clear errors from the hub, the cache and --model", function () {
  let mirror: HubMirror;
  let root: string;
  let deadEndpoint: string;
  let n = 0;
  const log = createLogger({ service: "test", level: "silent" });

  before(async function () {
    requireStoriesModel(this);
    root = mkdtempSync(join(tmpdir(), "kvmesh-hub-errors-"));
    const noTokenizer = join(root, "no-tokenizer");
    cpSync(storiesModelDir, noTokenizer, { recursive: true, filter: (src) => !src.endsWith("tokenizer.json") });
    mirror = await startHubMirror({ repos: { "kvmesh-test/stories260K": storiesModelDir, "kvmesh-test/no-tokenizer": noTokenizer } });
    deadEndpoint = `http://127.0.0.1:${await closedPort()}`;
  });
  after(async () => {
    await mirror?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const cases: { name: string; model: string; options?: Partial<ResolveModelOptions>; env?: () => Record<string, string>; error: RegExp }[] = [
    {
      name: "unknown repository (hub 404)",
      model: "kvmesh-test/no-such-model",
      error: /kvmesh-test\/no-such-model@main not found on the hub at http:\/\/127\.0\.0\.1:\d+ \(404\): check the repository id and revision/,
    },
    {
      name: "unknown revision (hub 404)",
      model: "kvmesh-test/stories260K",
      options: { revision: "v9" },
      error: /kvmesh-test\/stories260K@v9 not found on the hub .*\(404\)/,
    },
    {
      name: "missing ONNX variant, listing the variants that exist",
      model: "kvmesh-test/stories260K",
      options: { onnxVariant: "model_fp16.onnx" },
      error: /kvmesh-test\/stories260K has no onnx\/model_fp16\.onnx \(--onnx-variant\); variants present: \(default\) model\.onnx$/,
    },
    {
      name: "a repository missing a required file",
      model: "kvmesh-test/no-tokenizer",
      error: /kvmesh-test\/no-tokenizer is not a model in the Hugging Face ONNX layout: it has no tokenizer\.json/,
    },
    {
      name: "no network with offline mode off",
      model: "kvmesh-test/stories260K",
      env: () => ({ HF_ENDPOINT: deadEndpoint }),
      error: /cannot reach the Hugging Face hub at http:\/\/127\.0\.0\.1:\d+ for kvmesh-test\/stories260K@main \(ECONNREFUSED\); .*set HF_HUB_OFFLINE=1/,
    },
    {
      name: "offline mode with the model not cached",
      model: "kvmesh-test/stories260K",
      env: () => ({ HF_HUB_OFFLINE: "1" }),
      error: /HF_HUB_OFFLINE=1 and kvmesh-test\/stories260K@main \(onnx\/model\.onnx\) is not in the cache .*models--kvmesh-test--stories260K \(missing: refs\/main\); run `kvmesh model pull kvmesh-test\/stories260K`/,
    },
    {
      name: "a --model that is neither a directory nor a repo id",
      model: "./no/such/dir",
      error: /--model \.\/no\/such\/dir: no such directory, and not a Hugging Face repo id/,
    },
    {
      name: "a malformed --onnx-variant",
      model: "kvmesh-test/stories260K",
      options: { onnxVariant: "../../etc" },
      error: /--onnx-variant "\.\.\/\.\.\/etc" is not a variant name/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const before = mirror.requests.length;
      const env = { HF_ENDPOINT: mirror.endpoint, HF_HOME: join(root, `hf${n++}`), ...c.env?.() };
      const error = await resolveModel(c.model, { log, env, ...c.options }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ModelLoadError);
      expect((error as Error).message).to.match(c.error);
      if (c.env?.().HF_HUB_OFFLINE) expect(mirror.requests.length, "offline mode sends nothing").to.equal(before);
    });
  }

  it("offline mode names the files missing from a partly cached snapshot", async () => {
    const env = { HF_ENDPOINT: mirror.endpoint, HF_HOME: join(root, `hf${n++}`) };
    const dir = await resolveModel("kvmesh-test/stories260K", { log, env });
    rmSync(join(dir, "onnx", "model.onnx"));
    const error = await resolveModel("kvmesh-test/stories260K", { log, env: { ...env, HF_HUB_OFFLINE: "1" } }).catch((e: unknown) => e);
    expect(String(error)).to.match(/is not in the cache .* \(missing: onnx\/model\.onnx\)/);
  });
});
