/** Loads a local model directory in the Hugging Face ONNX layout (no ONNX session yet). */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { decoderDimsFromConfig, eosTokenIdsFrom } from "./model-config.js";
import type { DecoderDims } from "./model-config.js";
import { ModelLoadError } from "./model-errors.js";
import { describeVariants, normalizeOnnxVariant, onnxFileName, variantOfFile } from "./onnx-variant.js";

/** The model's files without its ONNX graph: what the mocker and the model card need. */
export interface ModelFiles extends DecoderDims {
  /** Absolute path of the directory. */
  readonly dir: string;
  /** The directory's basename: the default served model name. */
  readonly name: string;
  readonly config: Record<string, unknown>;
  /** generation_config.json, or {} when the model has none. */
  readonly generationConfig: Record<string, unknown>;
  /** tokenizer.json as text, served verbatim in the model card. */
  readonly tokenizerJson: string;
  /** tokenizer_config.json as text, served verbatim in the model card. */
  readonly tokenizerConfigJson: string;
  readonly eosTokenIds: readonly number[];
}

/** Everything the worker needs from a model directory, read once at start. */
export interface ModelDir extends ModelFiles {
  /** The ONNX file the session loads (external *.onnx_data sits next to it). */
  readonly onnxPath: string;
}

/** Options of loadModelDir. */
export interface LoadModelDirOptions {
  /** `fp16` (or `model_fp16.onnx`) picks onnx/model_fp16.onnx; unset or "" picks onnx/model.onnx. */
  readonly onnxVariant?: string;
}

function readRequired(dir: string, file: string): string {
  const path = join(dir, file);
  if (!existsSync(path)) throw new ModelLoadError(`model directory ${dir} has no ${file}`);
  return readFileSync(path, "utf8");
}

function parseJsonObject(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ModelLoadError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ModelLoadError(`${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Variant names present in onnx/: "" for model.onnx, "fp16" for model_fp16.onnx, ... */
export function listOnnxVariants(dir: string): string[] {
  const onnxDir = join(dir, "onnx");
  if (!existsSync(onnxDir)) return [];
  return readdirSync(onnxDir)
    .map(variantOfFile)
    .filter((variant): variant is string => variant !== undefined)
    .sort();
}

function onnxPathFor(dir: string, variantArg: string): string {
  const file = onnxFileName(normalizeOnnxVariant(variantArg));
  const path = join(dir, "onnx", file);
  if (existsSync(path)) return path;
  const present = listOnnxVariants(dir);
  const known = present.length > 0 ? describeVariants(present) : "none: onnx/ holds no model*.onnx";
  throw new ModelLoadError(`model directory ${dir} has no onnx/${file}; variants present: ${known}`);
}

/**
 * Reads config, generation config, tokenizer files and locates the ONNX file. Throws
 * ModelLoadError naming the missing or malformed file, or the variants that do exist.
 */
export function loadModelDir(dirArg: string, options: LoadModelDirOptions = {}): ModelDir {
  const files = loadModelFiles(dirArg);
  return { ...files, onnxPath: onnxPathFor(files.dir, options.onnxVariant ?? "") };
}

/** Reads config, generation config and tokenizer files (no ONNX graph needed: the mocker). */
export function loadModelFiles(dirArg: string): ModelFiles {
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new ModelLoadError(`model directory ${dir} does not exist`);
  const config = parseJsonObject(readRequired(dir, "config.json"), "config.json");
  const generationPath = join(dir, "generation_config.json");
  const generationConfig = existsSync(generationPath)
    ? parseJsonObject(readFileSync(generationPath, "utf8"), "generation_config.json")
    : {};
  const tokenizerJson = readRequired(dir, "tokenizer.json");
  const tokenizerConfigJson = readRequired(dir, "tokenizer_config.json");
  parseJsonObject(tokenizerJson, "tokenizer.json");
  parseJsonObject(tokenizerConfigJson, "tokenizer_config.json");
  const dims = decoderDimsFromConfig(config);
  return {
    ...dims,
    dir,
    name: basename(dir),
    config,
    generationConfig,
    tokenizerJson,
    tokenizerConfigJson,
    eosTokenIds: eosTokenIdsFrom(generationConfig, config),
  };
}
