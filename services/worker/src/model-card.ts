/** The worker's ModelCard: what other services need of the model, so none reads its directory. */
import { existsSync, readFileSync } from "node:fs";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import type { ModelFiles } from "./model/model-dir.js";

/** What the card is built from. */
export interface ModelCardInput {
  readonly model: ModelFiles;
  readonly name: string;
  readonly engine: "onnx" | "mocker";
  readonly contextLength: number;
  readonly blockSize: number;
  readonly totalKvBlocks: number;
  /** --chat-template: inline Jinja, or the path of a file holding it. */
  readonly chatTemplate?: string;
}

/** Reads `--chat-template` as a file when such a file exists, else takes it as the template itself. */
export function readChatTemplate(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  return !value.includes("{") && existsSync(value) ? readFileSync(value, "utf8") : value;
}

/** Builds the card; generation_config is served as JSON text ("" when the model has none). */
export function buildModelCard(input: ModelCardInput): ModelCard {
  const { model } = input;
  const generation = Object.keys(model.generationConfig).length > 0 ? JSON.stringify(model.generationConfig) : "";
  const chatTemplate = readChatTemplate(input.chatTemplate);
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
