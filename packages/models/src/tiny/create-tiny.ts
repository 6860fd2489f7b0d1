/**
 * Writes the generated `kvmesh-tiny-random` model directory (Hugging Face ONNX layout), and
 * keeps one generated copy in the cache so workers start without regenerating it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { buildTinyDecoder } from "./decoder-graph.js";
import { TINY_MODEL_NAME, TINY_MODEL_VERSION, tinyConfigJson, tinyDims, tinyGenerationConfigJson } from "./tiny-spec.js";
import { tinyTokenizerConfigJson, tinyTokenizerJson, tinyVocab } from "./tiny-tokenizer.js";

/** Files of the generated model, relative to its directory. */
export const TINY_MODEL_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"] as const;

/** Written last: its presence (with the current version) marks a complete copy. */
const VERSION_MARKER = ".kvmesh-tiny-version";

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Generates the model into `dir` (created if missing; existing files are overwritten). Returns the absolute dir. */
export function writeTinyModel(dirArg: string): string {
  const dir = resolve(dirArg);
  const vocab = tinyVocab();
  const dims = tinyDims(vocab.size);
  mkdirSync(join(dir, "onnx"), { recursive: true });
  writeJson(join(dir, "config.json"), tinyConfigJson(dims, vocab.special));
  writeJson(join(dir, "generation_config.json"), tinyGenerationConfigJson(dims, vocab.special));
  writeJson(join(dir, "tokenizer.json"), tinyTokenizerJson(vocab));
  writeJson(join(dir, "tokenizer_config.json"), tinyTokenizerConfigJson(vocab));
  writeFileSync(join(dir, "onnx", "model.onnx"), buildTinyDecoder(dims));
  writeFileSync(join(dir, VERSION_MARKER), `${TINY_MODEL_VERSION}\n`);
  return dir;
}

/** Where the cached copy lives under a Hugging Face home: `<hfHome>/kvmesh/kvmesh-tiny-random`. */
export function tinyModelCacheDir(hfHome: string): string {
  return join(hfHome, "kvmesh", TINY_MODEL_NAME);
}

function isComplete(dir: string): boolean {
  const marker = join(dir, VERSION_MARKER);
  if (!existsSync(marker) || readFileSync(marker, "utf8").trim() !== String(TINY_MODEL_VERSION)) return false;
  return TINY_MODEL_FILES.every((file) => existsSync(join(dir, file)));
}

/**
 * The cached tiny model directory, generated first if missing or from an older generator.
 * Generation goes to a private temporary directory renamed into place, so concurrent workers
 * never see a half-written model.
 */
export function ensureTinyModel(hfHome: string): string {
  const dir = tinyModelCacheDir(hfHome);
  if (isComplete(dir)) return dir;
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(dirname(dir), { recursive: true });
  writeTinyModel(staging);
  if (existsSync(dir) && !isComplete(dir)) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(staging, dir);
  } catch (err) {
    // Another process won the race with its own complete copy: keep that one.
    rmSync(staging, { recursive: true, force: true });
    if (!isComplete(dir)) throw err;
  }
  return dir;
}
