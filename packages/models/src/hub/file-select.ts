/** Picks the files of a repository revision that a worker needs for one ONNX variant. */
import { ModelLoadError } from "../model-errors.js";
import { describeVariants, onnxFileName, variantOfFile } from "../onnx-variant.js";
import type { HubFile } from "./hub-api.js";

/** Files every model must have. */
export const REQUIRED_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json"] as const;
/** Files used when the repository has them. */
export const OPTIONAL_FILES = ["generation_config.json"] as const;

/** Variants present under onnx/ in a file list. */
export function variantsIn(paths: readonly string[]): string[] {
  return paths
    .filter((p) => p.startsWith("onnx/") && !p.slice("onnx/".length).includes("/"))
    .map((p) => variantOfFile(p.slice("onnx/".length)))
    .filter((v): v is string => v !== undefined)
    .sort();
}

/** onnx/<file> plus its external data (`<file>_data`, `<file>_data_1`, ...). */
export function onnxFilesOf(paths: readonly string[], variant: string): string[] {
  const main = `onnx/${onnxFileName(variant)}`;
  const data = new RegExp(`^${main.replace(/[.]/g, "\\.")}_data(_\\d+)?$`);
  return paths.filter((p) => p === main || data.test(p)).sort();
}

/**
 * The files to fetch, in download order (small JSON first). Throws ModelLoadError naming the
 * missing required files, or the variant asked for together with the variants that exist.
 */
export function selectModelFiles<F extends Pick<HubFile, "path">>(files: readonly F[], variant: string, repo: string): F[] {
  const paths = files.map((f) => f.path);
  const missing = REQUIRED_FILES.filter((name) => !paths.includes(name));
  if (missing.length > 0) {
    throw new ModelLoadError(`${repo} is not a model in the Hugging Face ONNX layout: it has no ${missing.join(", ")}`);
  }
  const onnx = onnxFilesOf(paths, variant);
  if (!onnx.includes(`onnx/${onnxFileName(variant)}`)) {
    throw new ModelLoadError(
      `${repo} has no onnx/${onnxFileName(variant)} (--onnx-variant); variants present: ${describeVariants(variantsIn(paths))}`,
    );
  }
  const wanted = new Set<string>([...REQUIRED_FILES, ...OPTIONAL_FILES.filter((name) => paths.includes(name)), ...onnx]);
  return files.filter((f) => wanted.has(f.path));
}
