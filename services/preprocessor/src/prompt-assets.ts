/**
 * The part of a model's assets that turns a prompt into token ids — its tokenizer and chat
 * renderer — built from plain card data, so the main thread and the prompt pool's worker
 * threads build them the same way (identical token ids either way).
 */
import { ChatRenderer } from "./chat-template/chat-renderer.js";
import type { TemplateSource } from "./chat-template/template-source.js";
import { ModelTokenizer } from "./tokenizer/model-tokenizer.js";

/** The card fields prompt encoding needs (structured-clonable: it crosses to worker threads). */
export interface PromptModelData {
  name: string;
  contextLength: number;
  tokenizerJson: string;
  tokenizerConfigJson: string;
  /** The card's chat template (the worker's --chat-template). */
  chatTemplate?: string;
  /** The preprocessor's --chat-template. */
  templateOverride?: TemplateSource;
}

/** A model's prompt encoders. */
export interface PromptAssets {
  contextLength: number;
  tokenizer: ModelTokenizer;
  chat: ChatRenderer;
}

/** Builds the tokenizer and the chat renderer of `data`. */
export function promptAssetsFrom(data: PromptModelData): PromptAssets {
  const tokenizer = new ModelTokenizer(data.name, data.tokenizerJson, data.tokenizerConfigJson);
  const chat = new ChatRenderer({
    model: data.name,
    candidates: { override: data.templateOverride, card: data.chatTemplate, tokenizerConfig: tokenizer.config.chat_template },
    bosToken: tokenizer.bosToken,
    eosToken: tokenizer.eosToken,
    byteModel: { contextLength: data.contextLength, tokenizer },
  });
  return { contextLength: data.contextLength, tokenizer, chat };
}
