import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "#common/logger.js";
import { loadModelDir } from "#models/model-dir.js";
import { ModelLoadError } from "#models/model-errors.js";
import { openModel } from "#models/open-model.js";
import { resolveModel } from "#models/resolve-model.js";

describe("models: resolveModel without the network", () => {
  let root: string;
  const log = createLogger({ service: "test", level: "silent" });
  // An endpoint nothing listens on: any request would fail the test with "cannot reach".
  const env = (): Record<string, string> => ({ HF_HOME: join(root, "hf"), HF_ENDPOINT: "http://127.0.0.1:9", HF_HUB_OFFLINE: "1" });
  before(() => (root = mkdtempSync(join(tmpdir(), "kvmesh-resolve-"))));
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const arg of [undefined, "", "kvmesh-tiny-random"]) {
    it(`--model ${JSON.stringify(arg)} is the generated tiny model in HF_HOME/kvmesh`, async () => {
      const dir = await resolveModel(arg, { log, env: env() });
      expect(dir).to.equal(join(root, "hf", "kvmesh", "kvmesh-tiny-random"));
      expect(loadModelDir(dir).name).to.equal("kvmesh-tiny-random");
    });
  }

  it("an existing directory is used as is (absolute)", async () => {
    const tiny = await resolveModel(undefined, { log, env: env() });
    expect(await resolveModel(tiny, { log, env: env() })).to.equal(tiny);
  });

  it("openModel loads the resolved directory, named after --model", async () => {
    const tiny = await openModel(undefined, { log, env: env() });
    expect([tiny.name, tiny.numLayers]).to.deep.equal(["kvmesh-tiny-random", 2]);
    const copy = (await openModel(tiny.dir, { log, env: env(), onnxVariant: "model.onnx" }));
    expect([copy.name, copy.onnxPath]).to.deep.equal(["kvmesh-tiny-random", join(tiny.dir, "onnx", "model.onnx")]);
    const error = await openModel(tiny.dir, { log, env: env(), onnxVariant: "fp16" }).catch((e: unknown) => e);
    expect(String(error)).to.match(/has no onnx\/model_fp16\.onnx; variants present: \(default\) model\.onnx/);
  });

  it("a file is refused with a clear message", async () => {
    const file = join(root, "model.onnx");
    writeFileSync(file, "");
    const error = await resolveModel(file, { log, env: env() }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ModelLoadError);
    expect(String(error)).to.match(/--model .*model\.onnx is a file; give a model directory or a Hugging Face repo id/);
  });
});
