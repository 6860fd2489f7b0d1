/**
 * Everything the preprocessor derives from one model card: the tokenizer, the chat renderer,
 * the generation defaults, the context length and eos ids. Built once per card and cached by
 * the model catalog.
 */
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import { ChatRenderer } from "./chat-template/chat-renderer.js";
import type { TemplateSource } from "./chat-template/template-source.js";
import { parseGenerationConfig } from "./request/generation-defaults.js";
import type { GenerationDefaults } from "./request/generation-defaults.js";
import { ModelTokenizer } from "./tokenizer/model-tokenizer.js";

/** A served model, ready to preprocess for. */
export interface ModelAssets {
  name: string;
  contextLength: number;
  eosTokenIds: readonly number[];
  tokenizer: ModelTokenizer;
  chat: ChatRenderer;
  defaults: GenerationDefaults;
  /** The serving engine of the card ("onnx", "mocker", "echo"). */
  engine: string;
}

/** Builds the assets of `card`; `templateOverride` is the preprocessor's --chat-template. */
export function modelAssetsFromCard(card: ModelCard, templateOverride?: TemplateSource): ModelAssets {
  const tokenizer = new ModelTokenizer(card.name, card.tokenizerJson, card.tokenizerConfigJson);
  const chat = new ChatRenderer({
    model: card.name,
    candidates: { override: templateOverride, card: card.chatTemplate, tokenizerConfig: tokenizer.config.chat_template },
    bosToken: tokenizer.bosToken,
    eosToken: tokenizer.eosToken,
  });
  return {
    name: card.name,
    contextLength: card.contextLength,
    eosTokenIds: card.eosTokenIds,
    tokenizer,
    chat,
    defaults: parseGenerationConfig(card.generationConfigJson),
    engine: card.engine,
  };
}
