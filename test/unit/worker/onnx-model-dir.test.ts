import { expect } from "chai";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decoderDimsFromConfig, eosTokenIdsFrom } from "#models/model-config.js";
import { listOnnxVariants, loadModelDir } from "#models/model-dir.js";
import { ModelLoadError } from "#models/model-errors.js";
import { requireStoriesModel, storiesModelDir } from "../../support/stories-model.js";

/** A writable copy of stories260K's small files with an empty onnx/model.onnx placeholder. */
function fakeModelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kvmesh-model-"));
  for (const file of ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]) {
    copyFileSync(join(storiesModelDir, file), join(dir, file));
  }
  mkdirSync(join(dir, "onnx"));
  writeFileSync(join(dir, "onnx", "model.onnx"), "");
  writeFileSync(join(dir, "onnx", "model_q4.onnx"), "");
  return dir;
}

describe("model directory loading", function () {
  const dirs: string[] = [];
  before(function () {
    requireStoriesModel(this);
  });
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("reads stories260K: name, dims, eos ids, context length, tokenizer text, onnx path", () => {
    const model = loadModelDir(storiesModelDir);
    expect(model.name).to.equal("stories260K");
    expect([model.numLayers, model.numKvHeads, model.headDim, model.vocabSize, model.contextLength]).to.deep.equal([5, 4, 8, 512, 512]);
    expect(model.eosTokenIds).to.deep.equal([2, 1]);
    expect(JSON.parse(model.tokenizerJson)).to.have.property("model");
    expect(JSON.parse(model.tokenizerConfigJson).add_bos_token).to.equal(true);
    expect(model.onnxPath).to.equal(join(storiesModelDir, "onnx", "model.onnx"));
    expect(model.generationConfig.max_length).to.equal(512);
  });

  it("picks a variant, and names the variants present when one is unknown", () => {
    const dir = fakeModelDir();
    dirs.push(dir);
    expect(listOnnxVariants(dir)).to.deep.equal(["", "q4"]);
    expect(loadModelDir(dir, { onnxVariant: "q4" }).onnxPath).to.equal(join(dir, "onnx", "model_q4.onnx"));
    expect(() => loadModelDir(dir, { onnxVariant: "fp16" })).to.throw(ModelLoadError, /no onnx\/model_fp16\.onnx; variants present: \(default\) model\.onnx, q4 \(model_q4\.onnx\)/);
  });

  const missing: [string, RegExp][] = [
    ["config.json", /has no config\.json/],
    ["tokenizer.json", /has no tokenizer\.json/],
    ["tokenizer_config.json", /has no tokenizer_config\.json/],
    ["onnx/model.onnx", /has no onnx\/model\.onnx; variants present: q4/],
  ];
  for (const [file, message] of missing) {
    it(`names the missing ${file}`, () => {
      const dir = fakeModelDir();
      dirs.push(dir);
      rmSync(join(dir, file));
      expect(() => loadModelDir(dir)).to.throw(ModelLoadError, message);
    });
  }

  it("treats generation_config.json as optional, falling back to config.json's eos id", () => {
    const dir = fakeModelDir();
    dirs.push(dir);
    rmSync(join(dir, "generation_config.json"));
    const model = loadModelDir(dir);
    expect(model.generationConfig).to.deep.equal({});
    expect(model.eosTokenIds).to.deep.equal([2]);
  });

  it("rejects a directory that does not exist and malformed JSON", () => {
    expect(() => loadModelDir("/nonexistent/kvmesh-model")).to.throw(ModelLoadError, /does not exist/);
    const dir = fakeModelDir();
    dirs.push(dir);
    writeFileSync(join(dir, "config.json"), "{nope");
    expect(() => loadModelDir(dir)).to.throw(ModelLoadError, /config\.json is not valid JSON/);
  });
});

describe("decoder dims and eos ids from config", () => {
  const cases: [string, Record<string, unknown>, [number, number, number]][] = [
    ["llama with head_dim", { num_hidden_layers: 2, num_attention_heads: 8, num_key_value_heads: 2, head_dim: 16, hidden_size: 64 }, [2, 2, 16]],
    ["no GQA, derived head_dim", { num_hidden_layers: 3, num_attention_heads: 4, hidden_size: 64 }, [3, 4, 16]],
    ["gpt-2 names", { n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024 }, [12, 12, 64]],
  ];
  for (const [label, config, [layers, kvHeads, headDim]] of cases) {
    it(label, () => {
      const dims = decoderDimsFromConfig({ vocab_size: 10, max_position_embeddings: 32, ...config });
      expect([dims.numLayers, dims.numKvHeads, dims.headDim]).to.deep.equal([layers, kvHeads, headDim]);
    });
  }

  it("lists every field it cannot derive", () => {
    expect(() => decoderDimsFromConfig({ num_attention_heads: 3, hidden_size: 64 })).to.throw(
      ModelLoadError, /num_hidden_layers, head_dim \(or hidden_size \/ num_attention_heads\), vocab_size, max_position_embeddings/);
  });

  const eosCases: [unknown, unknown, number[]][] = [[[2, 1], 2, [2, 1]], [7, 2, [7]], [undefined, 2, [2]], [undefined, [3, 4], [3, 4]], [undefined, undefined, []]];
  for (const [fromGeneration, fromConfig, expected] of eosCases) {
    it(`eos ids: generation ${JSON.stringify(fromGeneration)}, config ${JSON.stringify(fromConfig)} → ${JSON.stringify(expected)}`, () => {
      expect(eosTokenIdsFrom({ eos_token_id: fromGeneration }, { eos_token_id: fromConfig })).to.deep.equal(expected);
    });
  }
});
