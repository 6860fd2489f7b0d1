/**
 * Builds the ModelRunner the config asks for: the onnx runner on the model's graph, or the
 * mocker's timing-only runner sized like it (echo: the same runner replaying request tokens). Also resolves the engine-dependent defaults
 * (block size, KV block count, context length) in one place.
 */
import { createMockRunner } from "./runners/mock-runner.js";
import { createOnnxRunner } from "./runners/onnx-runner.js";
import type { ModelRunner } from "./runners/model-runner.js";
import { loadModelDir, loadModelFiles } from "#models/model-dir.js";
import type { ModelFiles } from "#models/model-dir.js";
import { engineDefaults } from "./config.js";
import type { WorkerConfig } from "./config.js";

/** The onnx default KV budget when --num-kv-blocks is not given. */
const ONNX_KV_BUDGET_BYTES = 1 << 30;
/** The mocker's default block count (Dynamo's mocker default). */
const MOCKER_KV_BLOCKS = 16384;

/** A runner plus the numbers the engine and the model card need. */
export interface BuiltRunner {
  readonly runner: ModelRunner;
  readonly model: ModelFiles;
  readonly contextLength: number;
}

/** Lowest token id that is not a leading special token (the mocker never produces those). */
export function firstNonSpecialTokenId(tokenizerJson: string): number {
  const added = (JSON.parse(tokenizerJson) as { added_tokens?: Array<{ id: number; special?: boolean }> }).added_tokens ?? [];
  const special = new Set(added.filter((t) => t.special).map((t) => t.id));
  let first = 0;
  while (special.has(first)) first++;
  return first;
}

/** K/V bytes of one block at fp32 (an upper bound for fp16 models). */
function blockBytes(model: ModelFiles, blockSize: number): number {
  return model.numLayers * 2 * model.numKvHeads * model.headDim * blockSize * 4;
}

/** Blocks for max-num-seqs full contexts, within the default memory budget. */
export function defaultOnnxBlocks(model: ModelFiles, blockSize: number, maxNumSeqs: number): number {
  const wanted = Math.ceil(model.contextLength / blockSize) * maxNumSeqs;
  return Math.max(1, Math.min(wanted, Math.floor(ONNX_KV_BUDGET_BYTES / blockBytes(model, blockSize))));
}

/** Loads the model directory `modelDir` and builds the runner of `config.engine`. */
export async function buildRunner(config: WorkerConfig, modelDir: string): Promise<BuiltRunner> {
  const defaults = engineDefaults(config.engine);
  const blockSize = config.blockSize ?? defaults.blockSize;
  if (config.engine !== "onnx") {
    const model = loadModelFiles(modelDir);
    const runner = createMockRunner({
      numBlocks: config.numKvBlocks ?? MOCKER_KV_BLOCKS,
      blockSize,
      vocabSize: model.vocabSize,
      eosTokenIds: model.eosTokenIds,
      firstNonSpecialTokenId: firstNonSpecialTokenId(model.tokenizerJson),
      speedupRatio: config.speedupRatio,
      echo: config.engine === "echo",
    });
    return { runner, model, contextLength: config.contextLength ?? (defaults.contextLength as number) };
  }
  const model = loadModelDir(modelDir, { onnxVariant: config.onnxVariant });
  const runner = await createOnnxRunner({
    model,
    numBlocks: config.numKvBlocks ?? defaultOnnxBlocks(model, blockSize, config.maxNumSeqs),
    blockSize,
    intraOpThreads: config.intraOpThreads,
    device: config.device,
  });
  return { runner, model, contextLength: model.contextLength };
}
