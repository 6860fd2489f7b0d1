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

/** Tokenizes (or renders and tokenizes) `prompt` for the model of `assets`, on this thread. */
export function promptTokens(prompt: PromptInput, assets: PromptAssets): PromptTokens {
  switch (prompt?.$case) {
    case "text":
      checkPromptBytes(utf8Bytes(prompt.text), assets, "prompt");
      return { tokenIds: assets.tokenizer.encode(prompt.text, true) };
    case "tokens": {
      const limit = assets.tokenizer.vocabSize;
      const bad = prompt.tokens.tokenIds.find((id) => id >= limit);
      if (bad !== undefined) throw new InvalidArgumentError(`prompt token id ${bad} is outside the vocabulary (size ${limit})`, { param: "prompt" });
      return { tokenIds: [...prompt.tokens.tokenIds] };
    }
    case "chat": {
      const rendered = assets.chat.render(prompt.chat);
      checkPromptBytes(utf8Bytes(rendered), assets, "messages");
      return { tokenIds: assets.tokenizer.encode(rendered, false), rendered };
    }
    default:
      throw new InvalidArgumentError("a prompt is required (text, tokens or chat messages)", { param: "prompt" });
  }
}
