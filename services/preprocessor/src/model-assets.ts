/**
 * Everything the preprocessor derives from one model card: the tokenizer, the chat renderer,
 * the generation defaults, the context length and eos ids, and the model's handle in the
 * prompt pool (large prompts are encoded on worker threads). Built once per card and cached by
 * upstream/model-assets-catalog.ts.
 */
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import type { ChatRenderer } from "./chat-template/chat-renderer.js";
import type { TemplateSource } from "./chat-template/template-source.js";
import { promptAssetsFrom } from "./prompt-assets.js";
import type { PromptModelData } from "./prompt-assets.js";
import { parseGenerationConfig } from "./request/generation-defaults.js";
import type { GenerationDefaults } from "./request/generation-defaults.js";
import type { ModelTokenizer } from "./tokenizer/model-tokenizer.js";
import type { PooledModel, PromptPool } from "./tokenizer/prompt-pool.js";

/** A served model, ready to preprocess for. */
export interface ModelAssets {
  name: string;
  contextLength: number;
  /** Tokens per KV block of the model's workers (0: unknown); prompts are hashed with it for the router. */
  blockSize: number;
  eosTokenIds: readonly number[];
  tokenizer: ModelTokenizer;
  chat: ChatRenderer;
  defaults: GenerationDefaults;
  /** The serving engine of the card ("onnx", "mocker", "echo"). */
  engine: string;
  /** Where large prompts are encoded, when the preprocessor runs a pool. */
  pool?: { pool: PromptPool; model: PooledModel };
}

/** Builds the assets of `card`; `templateOverride` is the preprocessor's --chat-template. */
export function modelAssetsFromCard(card: ModelCard, templateOverride?: TemplateSource, pool?: PromptPool): ModelAssets {
  const data: PromptModelData = {
    name: card.name,
    contextLength: card.contextLength,
    tokenizerJson: card.tokenizerJson,
    tokenizerConfigJson: card.tokenizerConfigJson,
    chatTemplate: card.chatTemplate,
    templateOverride,
  };
  const { tokenizer, chat } = promptAssetsFrom(data);
  return {
    name: card.name,
    contextLength: card.contextLength,
    blockSize: card.blockSize,
    eosTokenIds: card.eosTokenIds,
    tokenizer,
    chat,
    defaults: parseGenerationConfig(card.generationConfigJson),
    engine: card.engine,
    pool: pool && { pool, model: pool.register(data) },
  };
}
