/**
 * A request's prompt as token ids: a text prompt is tokenized with the tokenizer's special
 * tokens (BOS for Llama), a chat prompt is rendered and tokenized without them (the template
 * writes bos_token itself, as apply_chat_template does), and token ids pass through unchanged.
 */
import { InvalidArgumentError } from "#common/errors.js";
import type { ChatPrompt } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { ModelAssets } from "../model-assets.js";

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

/** Tokenizes (or renders and tokenizes) `prompt` for the model of `assets`. */
export function promptTokens(prompt: PromptInput, assets: Pick<ModelAssets, "tokenizer" | "chat">): PromptTokens {
  switch (prompt?.$case) {
    case "text":
      return { tokenIds: assets.tokenizer.encode(prompt.text, true) };
    case "tokens": {
      const limit = assets.tokenizer.vocabSize;
      const bad = prompt.tokens.tokenIds.find((id) => id >= limit);
      if (bad !== undefined) throw new InvalidArgumentError(`prompt token id ${bad} is outside the vocabulary (size ${limit})`, { param: "prompt" });
      return { tokenIds: [...prompt.tokens.tokenIds] };
    }
    case "chat": {
      const rendered = assets.chat.render(prompt.chat);
      return { tokenIds: assets.tokenizer.encode(rendered, false), rendered };
    }
    default:
      throw new InvalidArgumentError("a prompt is required (text, tokens or chat messages)", { param: "prompt" });
  }
}
