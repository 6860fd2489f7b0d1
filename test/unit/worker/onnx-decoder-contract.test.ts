import { expect } from "chai";
import { checkDecoderContract, decoderContractNames } from "#models/decoder-contract.js";
import type { SessionSignature } from "#models/decoder-contract.js";
import { ModelLoadError } from "#models/model-errors.js";
import { createDecoderSession } from "../../../services/worker/src/runners/onnx-session.js";
import { loadModelDir } from "#models/model-dir.js";
import { requireStoriesModel, storiesModelDir } from "../../support/stories-model.js";

const dims = { numLayers: 2, numKvHeads: 4, headDim: 8, vocabSize: 512, contextLength: 512 };

function signature(dtype = "float32", shape: (number | string)[] = ["batch", 4, "past", 8]): SessionSignature & { inputNames: string[]; outputNames: string[] } {
  const { inputs, outputs } = decoderContractNames(2);
  return {
    inputNames: inputs,
    outputNames: outputs,
    inputMetadata: inputs.map((name) => ({ name, isTensor: true, type: name.startsWith("past") ? dtype : "int64", shape })),
  };
}

describe("decoder contract check", () => {
  it("accepts float32 and float16 K/V", () => {
    expect(checkDecoderContract(signature(), dims)).to.equal("float32");
    expect(checkDecoderContract(signature("float16"), dims)).to.equal("float16");
  });

  const bad: [string, (s: ReturnType<typeof signature>) => SessionSignature, RegExp][] = [
    ["missing names are all listed", (s) => ({ ...s, inputNames: s.inputNames.filter((n) => n !== "position_ids" && n !== "past_key_values.1.value"), outputNames: s.outputNames.filter((n) => n !== "present.0.key") }),
      /missing inputs: position_ids, past_key_values\.1\.value; missing outputs: present\.0\.key/],
    ["an extra input", (s) => ({ ...s, inputNames: [...s.inputNames, "token_type_ids"] }), /cannot feed: token_type_ids/],
    ["int8 K/V", () => signature("int8"), /K\/V dtype int8 is not supported/],
    ["KV heads differ from config", () => signature("float32", ["batch", 2, "past", 8]), /has 2 KV heads but config\.json says 4/],
    ["head_dim differs from config", () => signature("float32", ["batch", 4, "past", 16]), /head_dim 16 but config\.json says 8/],
  ];
  for (const [label, mutate, message] of bad) {
    it(`rejects: ${label}`, () => {
      expect(() => checkDecoderContract(mutate(signature()), dims)).to.throw(ModelLoadError, message);
    });
  }
});

describe("decoder session", function () {
  before(function () {
    requireStoriesModel(this);
  });

  it("stories260K's session passes the contract with float32 K/V", async () => {
    const model = loadModelDir(storiesModelDir);
    const session = await createDecoderSession(model.onnxPath, { device: "cpu", intraOpThreads: 1 });
    try {
      expect(checkDecoderContract(session, model)).to.equal("float32");
    } finally {
      await session.release();
    }
  });

  it("--device cuda without the CUDA provider fails with a clear message", async function () {
    const model = loadModelDir(storiesModelDir);
    let error: unknown;
    try {
      const session = await createDecoderSession(model.onnxPath, { device: "cuda", intraOpThreads: 1 });
      await session.release();
    } catch (err) {
      error = err;
    }
    // A machine with onnxruntime's CUDA libraries installed has nothing to check here.
    if (error === undefined) this.skip();
    expect(error).to.be.instanceOf(ModelLoadError);
    expect(String(error)).to.match(/--device cuda: onnxruntime-node's CUDA execution provider could not be loaded/);
  });
});
