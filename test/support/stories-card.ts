// The model card a worker serving stories260K would publish, read from the model directory,
// for tests that fake a worker.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import { storiesModelDir } from "./stories-model.js";

/** stories260K's card (context 512, eos [2, 1], no chat template) with `overrides` applied. */
export function storiesModelCard(overrides: Partial<ModelCard> = {}): ModelCard {
  const read = (file: string): string => readFileSync(join(storiesModelDir, file), "utf8");
  return {
    name: "stories260K",
    contextLength: 512,
    blockSize: 16,
    totalKvBlocks: 256,
    eosTokenIds: [2, 1],
    tokenizerJson: read("tokenizer.json"),
    tokenizerConfigJson: read("tokenizer_config.json"),
    generationConfigJson: read("generation_config.json"),
    chatTemplate: undefined,
    engine: "mocker",
    ...overrides,
  };
}
