/**
 * Locates the stories260K fixture (../shared/models/stories260K next to the repo). Tests that
 * need it skip when it is absent, except under CI=true, where a missing fixture fails.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";

/** The repository root (this file compiles to dist/test/support/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Absolute path of the stories260K model directory. */
export const storiesModelDir = resolve(repoRoot, "../shared/models/stories260K");

/**
 * Call from a mocha `before` hook: skips the suite when the model is missing, or throws
 * under CI=true so a missing fixture cannot pass silently.
 */
export function requireStoriesModel(ctx: Mocha.Context): void {
  if (existsSync(join(storiesModelDir, "onnx", "model.onnx"))) return;
  const message = `stories260K model not found at ${storiesModelDir}`;
  if (process.env.CI === "true") throw new Error(`${message} (CI=true: a missing fixture fails the run)`);
  console.warn(`  skipping: ${message}`);
  ctx.skip();
}

/** The model's tokenizer, built from its tokenizer.json and tokenizer_config.json. */
export function loadStoriesTokenizer(): Tokenizer {
  const read = (file: string): object => JSON.parse(readFileSync(join(storiesModelDir, file), "utf8")) as object;
  return new Tokenizer(read("tokenizer.json"), read("tokenizer_config.json"));
}
