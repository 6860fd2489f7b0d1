/**
 * vLLM's /tokenize and /detokenize bodies → the Preprocessor's Tokenize and Detokenize
 * requests, and their answers back to vLLM's shapes, through the shared request schemas.
 * Unknown fields are rejected (never ignored), as on the completion endpoints.
 */
import type { z } from "zod";
import type { DetokenizeRequest, TokenizeRequest, TokenizeResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { InvalidArgumentError, UnsupportedParameterError } from "#common/errors.js";
import { detokenizeSchema, tokenizeChatSchema, tokenizeTextSchema } from "./request-schemas.js";
import { toInvalidArgument } from "./rules.js";
import { chatMessage } from "./schemas.js";
import type { Body } from "./schemas.js";

function checkKnown(body: Body, schema: z.ZodObject, endpoint: string): void {
  for (const name of Object.keys(body)) {
    if (!(name in schema.shape)) throw new UnsupportedParameterError(`'${name}' is not a parameter kvmesh supports for ${endpoint}`, { param: name });
  }
}

function parse<S extends z.ZodObject>(schema: S, body: Body, endpoint: string): z.output<S> {
  checkKnown(body, schema, endpoint);
  const result = schema.safeParse(body);
  if (!result.success) throw toInvalidArgument(result.error);
  return result.data;
}

/** POST /tokenize: `prompt` (a completion) or `messages` (a chat), exactly one. */
export function parseTokenizeRequest(body: Body): TokenizeRequest {
  if (body.messages !== undefined && body.prompt !== undefined) throw new InvalidArgumentError("send either 'prompt' or 'messages', not both", { param: "prompt" });
  if (body.messages === undefined) {
    const text = parse(tokenizeTextSchema, body, "/tokenize with a prompt");
    return { model: text.model, prompt: { $case: "text", text: text.prompt }, addSpecialTokens: text.add_special_tokens };
  }
  const chat = parse(tokenizeChatSchema, body, "/tokenize with messages");
  return {
    model: chat.model,
    addSpecialTokens: chat.add_special_tokens,
    prompt: {
      $case: "chat",
      chat: {
        messages: chat.messages.map(chatMessage),
        toolsJson: chat.tools == null ? undefined : JSON.stringify(chat.tools),
        chatTemplateKwargsJson: chat.chat_template_kwargs == null ? undefined : JSON.stringify(chat.chat_template_kwargs),
        addGenerationPrompt: chat.add_generation_prompt,
      },
    },
  };
}

/** POST /detokenize: `tokens`, a list of non-negative integer ids (may be empty). */
export function parseDetokenizeRequest(body: Body): DetokenizeRequest {
  const parsed = parse(detokenizeSchema, body, "/detokenize");
  return { model: parsed.model, tokenIds: parsed.tokens };
}

/** vLLM's /tokenize answer. */
export function tokenizeJson(response: TokenizeResponse): { count: number; max_model_len: number; tokens: number[] } {
  return { count: response.tokenIds.length, max_model_len: response.contextLength, tokens: response.tokenIds };
}
