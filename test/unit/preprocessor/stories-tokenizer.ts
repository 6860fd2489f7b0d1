// Shared by the preprocessor unit tests: stories260K's tokenizer as the preprocessor builds it
// from a model card, and a seeded random generator.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ModelTokenizer } from "../../../services/preprocessor/src/tokenizer/model-tokenizer.js";
import { storiesModelDir } from "../../support/stories-model.js";

let cached: ModelTokenizer | undefined;

/** stories260K's tokenizer (sentencepiece-style BPE with byte fallback), built once. */
export function storiesTokenizer(): ModelTokenizer {
  cached ??= new ModelTokenizer(
    "stories260K",
    readFileSync(join(storiesModelDir, "tokenizer.json"), "utf8"),
    readFileSync(join(storiesModelDir, "tokenizer_config.json"), "utf8"),
  );
  return cached;
}

/** mulberry32: a small seeded generator in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
