/**
 * vLLM's /tokenize and /detokenize bodies → the Preprocessor's Tokenize and Detokenize
 * requests, and their answers back to vLLM's shapes. Unknown fields are rejected (never
 * ignored), as on the completion endpoints.
 */
import type { DetokenizeRequest, TokenizeRequest, TokenizeResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { InvalidArgumentError, UnsupportedParameterError } from "#common/errors.js";
import { arrayJsonField, boolField, objectJsonField, requiredString, tokenIdsField } from "./fields.js";
import type { Body } from "./fields.js";
import { chatMessage } from "./schemas.js";

const TEXT_FIELDS = new Set(["model", "prompt", "add_special_tokens"]);
const CHAT_FIELDS = new Set(["model", "messages", "add_generation_prompt", "add_special_tokens", "chat_template_kwargs", "tools"]);
const DETOKENIZE_FIELDS = new Set(["model", "tokens"]);

function checkKnown(body: Body, known: ReadonlySet<string>, endpoint: string): void {
  for (const name of Object.keys(body)) {
    if (!known.has(name)) throw new UnsupportedParameterError(`'${name}' is not a parameter kvmesh supports for ${endpoint}`, { param: name });
  }
}

/** POST /tokenize: `prompt` (a completion) or `messages` (a chat), exactly one. */
export function parseTokenizeRequest(body: Body): TokenizeRequest {
  const chat = body.messages !== undefined;
  if (chat && body.prompt !== undefined) throw new InvalidArgumentError("send either 'prompt' or 'messages', not both", { param: "prompt" });
  checkKnown(body, chat ? CHAT_FIELDS : TEXT_FIELDS, chat ? "/tokenize with messages" : "/tokenize with a prompt");
  const model = requiredString(body, "model");
  const addSpecialTokens = boolField(body, "add_special_tokens");
  if (!chat) {
    if (typeof body.prompt !== "string") throw new InvalidArgumentError("'prompt' must be a string (or send 'messages')", { param: "prompt" });
    return { model, prompt: { $case: "text", text: body.prompt }, addSpecialTokens };
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new InvalidArgumentError("'messages' must be a non-empty list", { param: "messages" });
  return {
    model,
    addSpecialTokens,
    prompt: {
      $case: "chat",
      chat: {
        messages: body.messages.map(chatMessage),
        toolsJson: arrayJsonField(body, "tools"),
        chatTemplateKwargsJson: objectJsonField(body, "chat_template_kwargs"),
        addGenerationPrompt: boolField(body, "add_generation_prompt"),
      },
    },
  };
}

/** POST /detokenize: `tokens`, a list of non-negative integer ids (may be empty). */
export function parseDetokenizeRequest(body: Body): DetokenizeRequest {
  checkKnown(body, DETOKENIZE_FIELDS, "/detokenize");
  const model = requiredString(body, "model");
  const tokenIds = tokenIdsField(body, "tokens");
  if (tokenIds === undefined) throw new InvalidArgumentError("'tokens' is required: a list of token ids", { param: "tokens" });
  return { model, tokenIds };
}

/** vLLM's /tokenize answer. */
export function tokenizeJson(response: TokenizeResponse): { count: number; max_model_len: number; tokens: number[] } {
  return { count: response.tokenIds.length, max_model_len: response.contextLength, tokens: response.tokenIds };
}
