// The generated kvmesh-tiny-random model's card data (byte-level BPE, ChatML template), built
// in memory from the generator the worker uses, for tests that need a byte-level tokenizer.
import { tinyTokenizerConfigJson, tinyTokenizerJson, tinyVocab } from "#models/tiny/tiny-tokenizer.js";
import type { PromptModelData } from "../../services/preprocessor/src/prompt-assets.js";

/** The tiny model's prompt data with `contextLength` (its config says 2048). */
export function tinyPromptData(contextLength = 2048): PromptModelData {
  const vocab = tinyVocab();
  return {
    name: "kvmesh-tiny-random",
    contextLength,
    tokenizerJson: JSON.stringify(tinyTokenizerJson(vocab)),
    tokenizerConfigJson: JSON.stringify(tinyTokenizerConfigJson(vocab)),
  };
}
