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

export { seededRandom } from "#common/seeded-random.js";
