import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { loadModelDir } from "#models/model-dir.js";
import { ModelLoadError } from "#models/model-errors.js";
import { ensureTinyModel, TINY_MODEL_FILES, tinyModelCacheDir, writeTinyModel } from "#models/tiny/create-tiny.js";
import { inverseFrequencies } from "#models/tiny/decoder-graph.js";
import { createOnnxRunner } from "../../../services/worker/src/runners/onnx-runner.js";
import { collect, engineWith, params } from "../worker/engine-fixtures.js";

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("kvmesh-tiny-random: the generated model", () => {
  let root: string;
  let dir: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "kvmesh-tiny-"));
    dir = writeTinyModel(join(root, "a"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("writes the Hugging Face ONNX layout, byte-identical on every generation", () => {
    const again = writeTinyModel(join(root, "b"));
    for (const file of TINY_MODEL_FILES) expect(sha256(join(again, file)), file).to.equal(sha256(join(dir, file)));
    const model = loadModelDir(dir);
    expect([model.numLayers, model.numKvHeads, model.headDim, model.contextLength]).to.deep.equal([2, 2, 16, 2048]);
    expect(model.eosTokenIds).to.have.length(2);
  });

  it("has pinned bytes: the generator is deterministic across machines (bump TINY_MODEL_VERSION when this changes)", () => {
    expect(sha256(join(dir, "onnx", "model.onnx"))).to.equal("34ff8f03cc039524b71894286712a44be384b122ed20d5a8ff5aae5e8eb5554f");
    expect(sha256(join(dir, "tokenizer.json"))).to.equal("baf3318c6e63daee9fba8f76136ee89106f41da07a43babf54bff4fae1056bde");
  });

  it("computes RoPE frequencies θ^(−2i/D) exactly enough (within float32 rounding)", () => {
    const freqs = inverseFrequencies(10000, 16);
    freqs.forEach((f, i) => expect(f).to.be.closeTo(Math.pow(10000, -i / 8), 1e-6 * Math.max(f, 1e-3)));
  });

  const texts = ["Hello there, the cat is with me!", "héllo wörld 🤖 — ünïcode", "  leading spaces\nand\ttabs", "x"];
  for (const text of texts) {
    it(`its byte-level BPE tokenizer round-trips ${JSON.stringify(text)}`, () => {
      const tokenizer = new Tokenizer(JSON.parse(loadModelDir(dir).tokenizerJson), JSON.parse(loadModelDir(dir).tokenizerConfigJson));
      const ids = tokenizer.encode(text).ids;
      expect(ids.every((id: number) => id < loadModelDir(dir).vocabSize)).to.equal(true);
      expect(tokenizer.decode(ids)).to.equal(text);
    });
  }

  it("merges common English pieces and keeps ChatML markers as single special tokens", () => {
    const model = loadModelDir(dir);
    const tokenizer = new Tokenizer(JSON.parse(model.tokenizerJson), JSON.parse(model.tokenizerConfigJson));
    expect(tokenizer.encode(" the").ids).to.have.length(1);
    const ids = tokenizer.encode("<|im_start|>user<|im_end|>").ids;
    expect(ids[0]).to.equal(model.vocabSize - 2);
    expect(ids[ids.length - 1]).to.equal(model.vocabSize - 1);
    expect(model.eosTokenIds).to.deep.equal([model.vocabSize - 1, model.vocabSize - 3]);
  });

  it("renders its ChatML chat template with @huggingface/jinja", () => {
    const template = JSON.parse(loadModelDir(dir).tokenizerConfigJson).chat_template as string;
    const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }];
    const text = new Template(template).render({ messages, add_generation_prompt: true });
    expect(text).to.equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  });

  it("loads in the onnx runner and generates the same ids for the same seed through the engine", async () => {
    const runner = await createOnnxRunner({ model: loadModelDir(dir), numBlocks: 64, blockSize: 16, intraOpThreads: 1, device: "cpu" });
    try {
      expect(runner.kvDtype).to.equal("float32");
      const engine = engineWith(runner);
      const prompt = Array.from({ length: 20 }, (_, i) => (i * 37) % runner.vocabSize);
      const run = async (seed: bigint) => (await collect(engine, params(`r${seed}`, prompt, { maxTokens: 24 }, { temperature: 1, seed }))).tokens;
      const [a, b, c] = [await run(7n), await run(7n), await run(8n)];
      expect(a).to.have.length(24);
      expect(b).to.deep.equal(a);
      expect(c).to.not.deep.equal(a);
      const greedy = (await collect(engine, params("g", prompt, { maxTokens: 24 }))).tokens;
      expect(new Set(greedy).size, "random weights still give varied greedy output").to.be.greaterThan(1);
    } finally {
      await runner.close();
    }
  });

  it("is refused by the decoder contract check when config.json does not match the graph", async () => {
    const bad = writeTinyModel(join(root, "bad"));
    const config = JSON.parse(readFileSync(join(bad, "config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(bad, "config.json"), JSON.stringify({ ...config, num_hidden_layers: 3 }));
    const error = await createOnnxRunner({ model: loadModelDir(bad), numBlocks: 8, blockSize: 16, intraOpThreads: 1, device: "cpu" }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ModelLoadError);
    expect(String(error)).to.match(/not a KV-cache decoder \(missing inputs: past_key_values\.2\.key, past_key_values\.2\.value; missing outputs: present\.2\.key/);
  });

  it("is generated once into the cache and reused", () => {
    const hfHome = join(root, "hf");
    const cached = ensureTinyModel(hfHome);
    expect(cached).to.equal(tinyModelCacheDir(hfHome));
    const written = statSync(join(cached, "onnx", "model.onnx")).mtimeMs;
    expect(ensureTinyModel(hfHome)).to.equal(cached);
    expect(statSync(join(cached, "onnx", "model.onnx")).mtimeMs).to.equal(written);
    expect(sha256(join(cached, "onnx", "model.onnx"))).to.equal(sha256(join(dir, "onnx", "model.onnx")));
  });

  it("regenerates a cached copy left incomplete", () => {
    const hfHome = join(root, "hf2");
    const cached = ensureTinyModel(hfHome);
    rmSync(join(cached, "tokenizer.json"));
    expect(ensureTinyModel(hfHome)).to.equal(cached);
    expect(sha256(join(cached, "tokenizer.json"))).to.equal(sha256(join(dir, "tokenizer.json")));
  });
});
