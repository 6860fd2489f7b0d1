import { expect } from "chai";
import { isCommitHash, repoFolderName, repoFromFolderName } from "#models/hub/cache-layout.js";
import { selectModelFiles, variantsIn } from "#models/hub/file-select.js";
import { hubSettingsFromEnv } from "#models/hub/hub-settings.js";
import { ModelLoadError } from "#models/model-errors.js";
import { normalizeOnnxVariant } from "#models/onnx-variant.js";
import { defaultModelName, isRepoId } from "#models/resolve-model.js";

describe("models: names of variants, repos and cache folders", () => {
  const variants: [string | undefined, string][] = [
    [undefined, ""], ["", ""], ["model", ""], ["model.onnx", ""], ["onnx/model.onnx", ""],
    ["fp16", "fp16"], ["model_fp16", "fp16"], ["model_fp16.onnx", "fp16"], ["onnx/model_q4f16.onnx", "q4f16"], ["q4", "q4"],
  ];
  for (const [raw, expected] of variants) {
    it(`--onnx-variant ${JSON.stringify(raw)} is ${JSON.stringify(expected)}`, () => expect(normalizeOnnxVariant(raw)).to.equal(expected));
  }
  for (const bad of ["../x", "model_/a", "a b"]) {
    it(`--onnx-variant ${JSON.stringify(bad)} is refused`, () => expect(() => normalizeOnnxVariant(bad)).to.throw(ModelLoadError, /is not a variant name/));
  }

  const ids: [string, boolean][] = [
    ["HuggingFaceTB/SmolLM2-135M-Instruct", true], ["onnx-community/Qwen2.5-0.5B-Instruct", true], ["gpt2", true],
    ["./models/x", false], ["/abs/path", false], ["a/b/c", false], ["../up", false], ["a/..", false], ["", false], ["org/name.git", false],
  ];
  for (const [value, expected] of ids) {
    it(`${JSON.stringify(value)} ${expected ? "is" : "is not"} a repo id`, () => expect(isRepoId(value)).to.equal(expected));
  }

  it("maps repo ids to hub cache folder names and back", () => {
    expect(repoFolderName("org/some-model")).to.equal("models--org--some-model");
    expect(repoFromFolderName("models--org--some-model")).to.equal("org/some-model");
    expect(repoFromFolderName("datasets--org--x")).to.equal(undefined);
    expect([isCommitHash("a".repeat(40)), isCommitHash("main"), isCommitHash("A".repeat(40))]).to.deep.equal([true, false, false]);
  });

  it("reads the HF_* environment like huggingface_hub", () => {
    const defaults = hubSettingsFromEnv({ XDG_CACHE_HOME: "/c" });
    expect(defaults).to.deep.equal({ endpoint: "https://huggingface.co", token: undefined, hfHome: "/c/huggingface", hubCache: "/c/huggingface/hub", offline: false });
    const set = hubSettingsFromEnv({ HF_ENDPOINT: "http://127.0.0.1:9/", HF_TOKEN: " t ", HF_HOME: "/h", HF_HUB_OFFLINE: "1" });
    expect(set).to.deep.equal({ endpoint: "http://127.0.0.1:9", token: "t", hfHome: "/h", hubCache: "/h/hub", offline: true });
    expect(hubSettingsFromEnv({ HF_HOME: "/h", HF_HUB_CACHE: "/elsewhere", HF_HUB_OFFLINE: "0" })).to.include({ hubCache: "/elsewhere", offline: false });
  });

  it("picks the JSON files, the variant and its external data, nothing else", () => {
    const files = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "README.md", "onnx/model.onnx",
      "onnx/model_fp16.onnx", "onnx/model_fp16.onnx_data", "onnx/model_fp16.onnx_data_1", "onnx/model_q4.onnx", "model.safetensors"].map((path) => ({ path }));
    expect(selectModelFiles(files, "fp16", "r").map((f) => f.path)).to.deep.equal(["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
      "onnx/model_fp16.onnx", "onnx/model_fp16.onnx_data", "onnx/model_fp16.onnx_data_1"]);
    expect(variantsIn(files.map((f) => f.path))).to.deep.equal(["", "fp16", "q4"]);
    expect(() => selectModelFiles(files, "int8", "r")).to.throw(ModelLoadError, /r has no onnx\/model_int8\.onnx \(--onnx-variant\); variants present: \(default\) model\.onnx, fp16 \(model_fp16\.onnx\), q4 \(model_q4\.onnx\)/);
    expect(() => selectModelFiles(files.slice(1), "", "r")).to.throw(ModelLoadError, /it has no config\.json/);
  });

  it("names a served model after the repo id, the directory, or the tiny model", () => {
    expect(defaultModelName("org/name", "/cache/snapshots/abc")).to.equal("org/name");
    expect(defaultModelName(undefined, "/x/kvmesh-tiny-random")).to.equal("kvmesh-tiny-random");
    expect(defaultModelName(".", process.cwd())).to.not.equal(".");
  });
});
