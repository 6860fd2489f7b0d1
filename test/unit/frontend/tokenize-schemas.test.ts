import { expect } from "chai";
import { Code } from "#common/errors.js";
import type { KvmeshError } from "#common/errors.js";
import { parseDetokenizeRequest, parseTokenizeRequest, tokenizeJson } from "../../../services/frontend/src/openai/tokenize-schemas.js";

function rejection(fn: () => unknown): KvmeshError {
  try {
    fn();
  } catch (err) {
    return err as KvmeshError;
  }
  throw new Error("expected a rejection");
}

describe("frontend: /tokenize and /detokenize bodies (vLLM shapes)", () => {
  it("reads a text prompt; add_special_tokens absent stays absent (the preprocessor's default applies)", () => {
    expect(parseTokenizeRequest({ model: "m", prompt: "hello" })).to.deep.equal({ model: "m", prompt: { $case: "text", text: "hello" }, addSpecialTokens: undefined });
    expect(parseTokenizeRequest({ model: "m", prompt: "", add_special_tokens: false }).addSpecialTokens).to.equal(false);
  });

  it("reads chat messages with add_generation_prompt, tools and chat_template_kwargs", () => {
    const parsed = parseTokenizeRequest({
      model: "m", messages: [{ role: "developer", content: "be brief" }, { role: "user", content: "hi" }],
      add_generation_prompt: false, add_special_tokens: true, tools: [{ type: "function" }], chat_template_kwargs: { enable_thinking: false },
    });
    expect(parsed.addSpecialTokens).to.equal(true);
    expect(parsed.prompt?.$case).to.equal("chat");
    const chat = parsed.prompt?.$case === "chat" ? parsed.prompt.chat : undefined;
    expect(chat?.messages).to.deep.equal([{ role: "system", content: "be brief" }, { role: "user", content: "hi" }]);
    expect(chat?.addGenerationPrompt).to.equal(false);
    expect(chat?.toolsJson).to.equal('[{"type":"function"}]');
    expect(chat?.chatTemplateKwargsJson).to.equal('{"enable_thinking":false}');
  });

  const rejected: Array<[string, () => unknown, number, string]> = [
    ["no model", () => parseTokenizeRequest({ prompt: "x" }), Code.INVALID_ARGUMENT, "model"],
    ["no prompt and no messages", () => parseTokenizeRequest({ model: "m" }), Code.INVALID_ARGUMENT, "prompt"],
    ["a token-id prompt", () => parseTokenizeRequest({ model: "m", prompt: [1, 2] }), Code.INVALID_ARGUMENT, "prompt"],
    ["both prompt and messages", () => parseTokenizeRequest({ model: "m", prompt: "x", messages: [{ role: "user", content: "y" }] }), Code.INVALID_ARGUMENT, "prompt"],
    ["empty messages", () => parseTokenizeRequest({ model: "m", messages: [] }), Code.INVALID_ARGUMENT, "messages"],
    ["a bad role", () => parseTokenizeRequest({ model: "m", messages: [{ role: "robot", content: "y" }] }), Code.INVALID_ARGUMENT, "messages[0].role"],
    ["add_special_tokens as a string", () => parseTokenizeRequest({ model: "m", prompt: "x", add_special_tokens: "yes" }), Code.INVALID_ARGUMENT, "add_special_tokens"],
    ["add_generation_prompt with a text prompt", () => parseTokenizeRequest({ model: "m", prompt: "x", add_generation_prompt: true }), Code.UNIMPLEMENTED, "add_generation_prompt"],
    ["an unknown tokenize field", () => parseTokenizeRequest({ model: "m", prompt: "x", return_token_strs: true }), Code.UNIMPLEMENTED, "return_token_strs"],
    ["detokenize without tokens", () => parseDetokenizeRequest({ model: "m" }), Code.INVALID_ARGUMENT, "tokens"],
    ["a negative token", () => parseDetokenizeRequest({ model: "m", tokens: [1, -1] }), Code.INVALID_ARGUMENT, "tokens[1]"],
    ["a fractional token", () => parseDetokenizeRequest({ model: "m", tokens: [1.5] }), Code.INVALID_ARGUMENT, "tokens[0]"],
    ["a token of 2^32", () => parseDetokenizeRequest({ model: "m", tokens: [2 ** 32] }), Code.INVALID_ARGUMENT, "tokens[0]"],
    ["tokens as a string", () => parseDetokenizeRequest({ model: "m", tokens: "1 2" }), Code.INVALID_ARGUMENT, "tokens"],
    ["an unknown detokenize field", () => parseDetokenizeRequest({ model: "m", tokens: [1], prompt: "x" }), Code.UNIMPLEMENTED, "prompt"],
  ];
  for (const [what, fn, code, param] of rejected) {
    it(`rejects ${what} with code ${code} naming ${param}`, () => {
      const err = rejection(fn);
      expect(err.code).to.equal(code);
      expect(err.param).to.equal(param);
    });
  }

  it("accepts the token-id boundaries 0 and 2^32 - 1, and an empty list", () => {
    expect(parseDetokenizeRequest({ model: "m", tokens: [0, 2 ** 32 - 1] }).tokenIds).to.deep.equal([0, 2 ** 32 - 1]);
    expect(parseDetokenizeRequest({ model: "m", tokens: [] }).tokenIds).to.deep.equal([]);
  });

  it("answers in vLLM's shape: count, max_model_len, tokens", () => {
    expect(tokenizeJson({ tokenIds: [1, 2, 3], prompt: "", contextLength: 512 })).to.deep.equal({ count: 3, max_model_len: 512, tokens: [1, 2, 3] });
  });
});
