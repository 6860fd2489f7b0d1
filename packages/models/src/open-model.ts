/** `--model` + `--onnx-variant` → a loaded ModelDir named as the served model should be. */
import { loadModelDir } from "./model-dir.js";
import type { ModelDir } from "./model-dir.js";
import { defaultModelName, resolveModel } from "./resolve-model.js";
import type { ResolveModelOptions } from "./resolve-model.js";

/**
 * resolveModel, then loadModelDir with the same ONNX variant; `name` is the default served
 * model name (the repo id for hub models, whose directory is a commit hash). Throws
 * ModelLoadError as those two do.
 */
export async function openModel(modelArg: string | undefined, options: ResolveModelOptions): Promise<ModelDir> {
  const dir = await resolveModel(modelArg, options);
  return { ...loadModelDir(dir, { onnxVariant: options.onnxVariant }), name: defaultModelName(modelArg, dir) };
}
