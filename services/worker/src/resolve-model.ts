/**
 * Which model directory the worker loads. A local directory is used as it is; Hugging Face
 * repo ids and the built-in tiny model come with the models issue.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Logger } from "#common/logger.js";
import type { WorkerConfig } from "./config.js";
import { ModelLoadError } from "./model/model-errors.js";

/** The local model directory for `--model`. */
export async function resolveWorkerModel(config: Pick<WorkerConfig, "model">, log: Logger): Promise<string> {
  if (config.model === undefined) {
    throw new ModelLoadError("--model is required: give a model directory in the Hugging Face ONNX layout");
  }
  const dir = resolve(config.model);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelLoadError(`--model ${config.model}: no such model directory`);
  }
  log.info({ model_dir: dir }, "model directory");
  return dir;
}
