/**
 * `--onnx-variant` names: "" (or "model", "model.onnx") is onnx/model.onnx; "fp16",
 * "model_fp16" and "model_fp16.onnx" all name onnx/model_fp16.onnx.
 */
import { ModelLoadError } from "./model-errors.js";

/** The canonical variant ("" or the suffix after `model_`). Throws ModelLoadError on a malformed name. */
export function normalizeOnnxVariant(raw: string | undefined): string {
  const name = (raw ?? "").trim().replace(/^onnx\//, "").replace(/\.onnx$/, "");
  if (name === "" || name === "model") return "";
  const variant = name.startsWith("model_") ? name.slice("model_".length) : name;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(variant)) {
    throw new ModelLoadError(`--onnx-variant "${raw}" is not a variant name (examples: model.onnx, model_fp16.onnx, q4)`);
  }
  return variant;
}

/** The file name of a canonical variant: "" → model.onnx, "fp16" → model_fp16.onnx. */
export function onnxFileName(variant: string): string {
  return variant === "" ? "model.onnx" : `model_${variant}.onnx`;
}

/** The variant of an ONNX file name, or undefined when it is not `model[_X].onnx`. */
export function variantOfFile(file: string): string | undefined {
  const match = /^model(?:_(.+))?\.onnx$/.exec(file);
  return match ? (match[1] ?? "") : undefined;
}

/** Human-readable list of variants for error messages. */
export function describeVariants(variants: readonly string[]): string {
  if (variants.length === 0) return "none";
  return variants.map((v) => (v === "" ? "(default) model.onnx" : `${v} (${onnxFileName(v)})`)).join(", ");
}
