/**
 * A request's prompt as token ids: a text prompt is tokenized with the tokenizer's special
 * tokens (BOS for Llama), a chat prompt is rendered and tokenized without them (the template
 * writes bos_token itself, as apply_chat_template does), and token ids pass through unchanged.
 * Text (a text prompt, a rendered chat) past the prompt byte limit is rejected untokenized.
 */
import { InvalidArgumentError } from "#common/errors.js";
import type { ChatPrompt } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { PromptAssets } from "../prompt-assets.js";
import { checkPromptBytes, utf8Bytes } from "./prompt-bytes.js";

/** The prompt of a Generate or Tokenize request. */
export type PromptInput =
  | { $case: "text"; text: string }
  | { $case: "tokens"; tokens: { tokenIds: number[] } }
  | { $case: "chat"; chat: ChatPrompt }
  | undefined;

/** A tokenized prompt, with the rendered text of a chat prompt. */
export interface PromptTokens {
  tokenIds: number[];
  /** The chat template's output (chat prompts only). */
  rendered?: string;
}

/**
 * Tokenizes (or renders and tokenizes) `prompt` for the model of `assets`. `addSpecialTokens`
 * overrides the default (true for text, false for chat), as vLLM's /tokenize allows.
 */
export function promptTokens(prompt: PromptInput, assets: PromptAssets, addSpecialTokens?: boolean): PromptTokens {
  switch (prompt?.$case) {
    case "text":
      checkPromptBytes(utf8Bytes(prompt.text), assets, "prompt");
      return { tokenIds: assets.tokenizer.encode(prompt.text, addSpecialTokens ?? true) };
    case "tokens": {
      const limit = assets.tokenizer.vocabSize;
      const bad = prompt.tokens.tokenIds.find((id) => id >= limit);
      if (bad !== undefined) throw new InvalidArgumentError(`prompt token id ${bad} is outside the vocabulary (size ${limit})`, { param: "prompt" });
      return { tokenIds: [...prompt.tokens.tokenIds] };
    }
    case "chat": {
      const rendered = assets.chat.render(prompt.chat);
      checkPromptBytes(utf8Bytes(rendered), assets, "messages");
      return { tokenIds: assets.tokenizer.encode(rendered, addSpecialTokens ?? false), rendered };
    }
    default:
      throw new InvalidArgumentError("a prompt is required (text, tokens or chat messages)", { param: "prompt" });
  }
}

/**
 * The text of `ids` (vLLM's /detokenize: special tokens kept). An id outside the vocabulary is
 * INVALID_ARGUMENT naming `tokens`, the REST field.
 */
export function detokenizeIds(ids: readonly number[], tokenizer: Pick<PromptAssets["tokenizer"], "vocabSize" | "decode">): string {
  const bad = ids.findIndex((id) => id >= tokenizer.vocabSize);
  if (bad >= 0) throw new InvalidArgumentError(`tokens[${bad}] = ${ids[bad]} is outside the vocabulary (size ${tokenizer.vocabSize})`, { param: "tokens" });
  return tokenizer.decode(ids, false);
}
