/**
 * Where a prompt is encoded: small prompts inline (a worker-thread round trip costs more than
 * they do), large ones in the prompt pool, so their tokenization and template rendering never
 * hold the event loop. Before either, the prompt byte pre-check runs on what is already known
 * to be text: a text prompt's bytes, a chat's plain-string contents.
 */
import type { PromptAssets } from "../prompt-assets.js";
import type { PooledModel, PromptPool } from "../tokenizer/prompt-pool.js";
import { checkPromptBytes, utf8Bytes } from "./prompt-bytes.js";
import { promptTokens } from "./prompt-tokens.js";
import type { PromptInput, PromptTokens } from "./prompt-tokens.js";

/** Prompts of fewer bytes than this are encoded inline (see bench/prompt-pool-bench.ts). */
export const INLINE_PROMPT_BYTES = 4096;

/** A model's prompt encoders and, when the preprocessor runs one, its place in the pool. */
export interface EncodeAssets extends PromptAssets {
  pool?: { pool: PromptPool; model: PooledModel };
}

/** Rough input size (UTF-16 units: cheap, and within 3× of UTF-8) used to choose inline or pool. */
function inputSize(prompt: PromptInput): number {
  if (prompt?.$case === "text") return prompt.text.length;
  if (prompt?.$case !== "chat") return 0;
  const { chat } = prompt;
  let size = (chat.toolsJson?.length ?? 0) + (chat.chatTemplateKwargsJson?.length ?? 0);
  for (const m of chat.messages) size += (m.content?.length ?? 0) + (m.contentPartsJson?.length ?? 0) + (m.toolCallsJson?.length ?? 0);
  return size;
}

/** The pre-check on what is plainly text (content parts are checked where they are parsed). */
function precheck(prompt: PromptInput, assets: PromptAssets): void {
  if (prompt?.$case === "text") checkPromptBytes(utf8Bytes(prompt.text), assets, "prompt");
  if (prompt?.$case === "chat") {
    const bytes = prompt.chat.messages.reduce((sum, m) => sum + (m.content === undefined ? 0 : utf8Bytes(m.content)), 0);
    checkPromptBytes(bytes, assets, "messages");
  }
}

/**
 * The prompt's token ids (and rendered chat), encoded inline or in the pool by size.
 * `addSpecialTokens` overrides the prompt kind's default (/tokenize's flag).
 */
export async function encodePrompt(prompt: PromptInput, assets: EncodeAssets, signal?: AbortSignal, addSpecialTokens?: boolean): Promise<PromptTokens> {
  precheck(prompt, assets);
  if (assets.pool && inputSize(prompt) >= INLINE_PROMPT_BYTES) return assets.pool.pool.encode(assets.pool.model, prompt, signal, addSpecialTokens);
  return promptTokens(prompt, assets, addSpecialTokens);
}
