// generation_config.json defaults, the context-length check and the default max_tokens.
import { expect } from "chai";
import { ContextLengthError, InvalidArgumentError } from "#common/errors.js";
import type { SamplingParams } from "#contracts/gen/kvmesh/v1/common.js";
import { applySamplingDefaults, parseGenerationConfig } from "../../../services/preprocessor/src/request/generation-defaults.js";
import type { GenerationDefaults } from "../../../services/preprocessor/src/request/generation-defaults.js";
import { resolveMaxTokens } from "../../../services/preprocessor/src/request/max-tokens.js";
import type { MaxTokensInput } from "../../../services/preprocessor/src/request/max-tokens.js";

describe("preprocessor generation defaults", () => {
  const PARSE: Array<{ json: string; expected: GenerationDefaults }> = [
    { json: "", expected: {} },
    { json: "not json", expected: {} },
    { json: '{"bos_token_id":1,"eos_token_id":[2,1],"max_length":512,"do_sample":false}', expected: { temperature: 0 } },
    { json: '{"do_sample":true,"temperature":0.6,"top_p":0.9,"top_k":50,"repetition_penalty":1.1}', expected: { temperature: 0.6, topP: 0.9, topK: 50, repetitionPenalty: 1.1 } },
    { json: '{"temperature":0.7,"do_sample":false}', expected: { temperature: 0 } },
    { json: '{"max_new_tokens":64,"temperature":"hot"}', expected: { maxNewTokens: 64 } },
  ];
  for (const { json, expected } of PARSE) {
    it(`parses ${JSON.stringify(json)}`, () => {
      const parsed = parseGenerationConfig(json);
      const defined = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined));
      expect(defined).to.deep.equal(expected);
    });
  }

  const APPLY: Array<{ name: string; sampling?: SamplingParams; defaults: GenerationDefaults; expected: SamplingParams }> = [
    { name: "no request sampling: all defaults", defaults: { temperature: 0.6, topP: 0.9 }, expected: { temperature: 0.6, topP: 0.9 } },
    { name: "request values win, including 0", sampling: { temperature: 0, topK: 5 }, defaults: { temperature: 0.6, topK: 50, topP: 0.9 }, expected: { temperature: 0, topK: 5, topP: 0.9 } },
    { name: "fields without defaults stay unset", sampling: { seed: 7n }, defaults: {}, expected: { seed: 7n } },
    { name: "repetition penalty default", sampling: { presencePenalty: 0.5 }, defaults: { repetitionPenalty: 1.2 }, expected: { presencePenalty: 0.5, repetitionPenalty: 1.2 } },
  ];
  for (const c of APPLY) {
    it(`applies defaults: ${c.name}`, () => {
      expect(applySamplingDefaults(c.sampling, c.defaults)).to.deep.equal(c.expected);
    });
  }
});

describe("preprocessor max_tokens and the context length", () => {
  const OK: Array<{ input: MaxTokensInput; expected: number | undefined }> = [
    { input: { promptTokens: 5, contextLength: 512 }, expected: 507 },
    { input: { promptTokens: 511, contextLength: 512 }, expected: 1 },
    { input: { promptTokens: 5, contextLength: 512, requested: 507 }, expected: 507 },
    { input: { promptTokens: 5, contextLength: 512, requested: 16 }, expected: 16 },
    { input: { promptTokens: 5, contextLength: 512, defaultCap: 64 }, expected: 64 },
    { input: { promptTokens: 500, contextLength: 512, defaultCap: 64 }, expected: 12 },
    { input: { promptTokens: 5, contextLength: 0 }, expected: undefined },
    { input: { promptTokens: 5, contextLength: 0, requested: 9 }, expected: 9 },
  ];
  for (const { input, expected } of OK) {
    it(`max_tokens for ${JSON.stringify(input)} is ${expected}`, () => {
      expect(resolveMaxTokens(input)).to.equal(expected);
    });
  }

  const ERRORS: Array<{ input: MaxTokensInput; type: new (...args: never[]) => Error; message: RegExp }> = [
    { input: { promptTokens: 512, contextLength: 512 }, type: ContextLengthError, message: /512 tokens.*context length is 512/ },
    { input: { promptTokens: 600, contextLength: 512 }, type: ContextLengthError, message: /600 tokens.*context length is 512/ },
    { input: { promptTokens: 10, contextLength: 512, requested: 503 }, type: ContextLengthError, message: /context length is 512 tokens, but 513 .*10 in the prompt, 503 for max_tokens/ },
    { input: { promptTokens: 0, contextLength: 512 }, type: InvalidArgumentError, message: /empty/ },
  ];
  for (const { input, type, message } of ERRORS) {
    it(`rejects ${JSON.stringify(input)} with ${type.name}`, () => {
      expect(() => resolveMaxTokens(input)).to.throw(type, message);
    });
  }

  it("names the prompt's field in a too-long error: messages by default, prompt for completions", () => {
    const paramOf = (input: MaxTokensInput): string | undefined => {
      try {
        resolveMaxTokens(input);
      } catch (err) {
        return (err as ContextLengthError).param;
      }
      return "no error";
    };
    expect(paramOf({ promptTokens: 512, contextLength: 512 })).to.equal("messages");
    expect(paramOf({ promptTokens: 512, contextLength: 512, promptParam: "prompt" })).to.equal("prompt");
    expect(paramOf({ promptTokens: 10, contextLength: 512, requested: 503, promptParam: "prompt" })).to.equal("max_tokens");
  });
});
