/** The worker's ModelCard: what other services need of the model, so none reads its directory. */
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import type { ModelFiles } from "#models/model-dir.js";

/** What the card is built from. */
export interface ModelCardInput {
  readonly model: ModelFiles;
  readonly name: string;
  readonly engine: "onnx" | "mocker" | "echo";
  readonly contextLength: number;
  readonly blockSize: number;
  readonly totalKvBlocks: number;
  /** The text of --chat-template (read once by main), when given. */
  readonly chatTemplate?: string;
}

/** Builds the card; generation_config is served as JSON text ("" when the model has none). */
export function buildModelCard(input: ModelCardInput): ModelCard {
  const { model } = input;
  const generation = Object.keys(model.generationConfig).length > 0 ? JSON.stringify(model.generationConfig) : "";
  const { chatTemplate } = input;
  return {
    name: input.name,
    contextLength: input.contextLength,
    blockSize: input.blockSize,
    totalKvBlocks: input.totalKvBlocks,
    eosTokenIds: [...model.eosTokenIds],
    tokenizerJson: model.tokenizerJson,
    tokenizerConfigJson: model.tokenizerConfigJson,
    generationConfigJson: generation,
    ...(chatTemplate === undefined ? {} : { chatTemplate }),
    engine: input.engine,
  };
}
