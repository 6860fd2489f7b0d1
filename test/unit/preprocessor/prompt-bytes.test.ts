// The prompt byte pre-check: the longest token's bytes per vocabulary scheme, the limit's
// boundaries (at the limit passes, one byte over is rejected), the error's param, and that a
// rejected prompt is never tokenized (nor, for chat, rendered).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { Code, ContextLengthError } from "#common/errors.js";
import type { ChatPrompt } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { promptAssetsFrom } from "../../../services/preprocessor/src/prompt-assets.js";
import type { PromptAssets, PromptModelData } from "../../../services/preprocessor/src/prompt-assets.js";
import { encodePrompt } from "../../../services/preprocessor/src/request/encode-prompt.js";
import type { EncodeAssets } from "../../../services/preprocessor/src/request/encode-prompt.js";
import { checkPromptBytes, promptByteLimit } from "../../../services/preprocessor/src/request/prompt-bytes.js";
import { promptTokens } from "../../../services/preprocessor/src/request/prompt-tokens.js";
import type { PromptInput } from "../../../services/preprocessor/src/request/prompt-tokens.js";
import { maxTokenBytes } from "../../../services/preprocessor/src/tokenizer/max-token-bytes.js";
import { requireStoriesModel, storiesModelDir } from "../../support/stories-model.js";
import { tinyPromptData } from "../../support/tiny-card.js";

const CHAT_TEMPLATE = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}";

describe("preprocessor prompt byte pre-check", () => {
  describe("longest token in bytes", () => {
    const CASES: Array<{ name: string; json: Record<string, unknown>; scheme: "byte-level" | "sentencepiece"; expected: number }> = [
      { name: "byte-level: ĠĠĠĠ is four spaces, æĹ¥ is 日 (3 bytes)", json: { model: { vocab: { a: 0, "ĠĠĠĠ": 1, "æĹ¥": 2 } } }, scheme: "byte-level", expected: 4 },
      { name: "byte-level: a special added token counts its literal text", json: { model: { vocab: { a: 0 } }, added_tokens: [{ id: 1, content: "<|endoftext|>", special: true }] }, scheme: "byte-level", expected: 13 },
      { name: "sentencepiece: ▁ is one space byte", json: { model: { vocab: { "▁friend": 0, ab: 1 } } }, scheme: "sentencepiece", expected: 7 },
      { name: "sentencepiece: <0xE6> is one byte, not six", json: { model: { vocab: { "<0xE6>": 0, ab: 1 } } }, scheme: "sentencepiece", expected: 2 },
      { name: "unigram [piece, score] pairs", json: { model: { type: "Unigram", vocab: [["▁hello", -1], ["é", -2]] } }, scheme: "sentencepiece", expected: 6 },
      { name: "non-ASCII added token: UTF-8 bytes", json: { model: { vocab: { a: 0 } }, added_tokens: [{ id: 1, content: "日本", special: false }] }, scheme: "sentencepiece", expected: 6 },
      { name: "no vocabulary at all: 0 (no bound)", json: {}, scheme: "byte-level", expected: 0 },
    ];
    for (const c of CASES) it(c.name, () => expect(maxTokenBytes(c.json, c.scheme)).to.equal(c.expected));

    it("stories260K: 7 (▁friend)", function () {
      requireStoriesModel(this);
      const data = storiesData(512);
      expect(promptAssetsFrom(data).tokenizer.maxTokenBytes).to.equal(7);
    });

    it("the generated tiny model: 13 (<|endoftext|>)", () => {
      expect(promptAssetsFrom(tinyPromptData()).tokenizer.maxTokenBytes).to.equal(13);
    });
  });

  describe("limit", () => {
    const model = (contextLength: number, perToken: number) => ({ contextLength, tokenizer: { maxTokenBytes: perToken } });
    it("is context length × longest token; none when either is 0", () => {
      expect(promptByteLimit(model(512, 7))).to.equal(3584);
      expect(promptByteLimit(model(0, 7))).to.equal(undefined);
      expect(promptByteLimit(model(512, 0))).to.equal(undefined);
    });
    it("passes at the limit and below, rejects one byte over with OUT_OF_RANGE naming the param", () => {
      expect(() => checkPromptBytes(3583, model(512, 7), "prompt")).not.to.throw();
      expect(() => checkPromptBytes(3584, model(512, 7), "prompt")).not.to.throw();
      for (const param of ["prompt", "messages"] as const) {
        const err = catchError(() => checkPromptBytes(3585, model(512, 7), param));
        expect(err).to.be.instanceOf(ContextLengthError);
        expect((err as ContextLengthError).code).to.equal(Code.OUT_OF_RANGE);
        expect((err as ContextLengthError).param).to.equal(param);
        expect((err as Error).message).to.include("3585 bytes").and.include("3584 bytes");
      }
    });
    it("has no bound for an unknown context length", () => {
      expect(() => checkPromptBytes(Number.MAX_SAFE_INTEGER, model(0, 7), "prompt")).not.to.throw();
    });
  });

  describe("a rejected prompt is never tokenized or rendered", () => {
    // The tiny model (longest token 13 bytes) with a 16-token context: 208 bytes at most.
    const LIMIT = 16 * 13;
    let assets: PromptAssets;
    let calls: { encode: number; render: number };
    beforeEach(() => {
      assets = spied(promptAssetsFrom({ ...tinyPromptData(16), chatTemplate: CHAT_TEMPLATE }));
    });
    const spied = (real: PromptAssets): PromptAssets => {
      calls = { encode: 0, render: 0 };
      const tokenizer = real.tokenizer;
      const encode = tokenizer.encode.bind(tokenizer);
      tokenizer.encode = (text, special) => (calls.encode++, encode(text, special));
      // The compiled template is what renders: count its uses.
      const chat = real.chat as unknown as { template(source: unknown): { render(v: unknown): string } };
      const template = chat.template.bind(chat);
      chat.template = (source) => {
        const compiled = template(source);
        return { render: (v) => (calls.render++, compiled.render(v)) };
      };
      return real;
    };
    const text = (bytes: number): PromptInput => ({ $case: "text", text: "é".repeat(bytes >> 1) + "a".repeat(bytes & 1) });
    const chat = (prompt: Partial<ChatPrompt> & Pick<ChatPrompt, "messages">): PromptInput => ({ $case: "chat", chat: prompt });

    it("text exactly at the limit is tokenized (the token count is checked later)", () => {
      expect(promptTokens(text(LIMIT), assets).tokenIds.length).to.be.greaterThan(16);
      expect(calls.encode).to.equal(1);
    });
    it("text one byte over is rejected without tokenizing, param prompt", () => {
      const err = catchError(() => promptTokens(text(LIMIT + 1), assets)) as ContextLengthError;
      expect(err).to.be.instanceOf(ContextLengthError);
      expect(err.param).to.equal("prompt");
      expect(calls.encode).to.equal(0);
    });
    it("text under the limit tokenizes as before", () => {
      expect(promptTokens({ $case: "text", text: "the cat" }, assets).tokenIds.length).to.be.greaterThan(0);
      expect(calls.encode).to.equal(1);
    });
    it("chat content one byte over (string content) is rejected without rendering, param messages", () => {
      const prompt = chat({ messages: [{ role: "user", content: "a".repeat(LIMIT - 10) }, { role: "user", content: "b".repeat(11) }] });
      const err = catchError(() => promptTokens(prompt, assets)) as ContextLengthError;
      expect(err).to.be.instanceOf(ContextLengthError);
      expect(err.param).to.equal("messages");
      expect(calls).to.deep.equal({ encode: 0, render: 0 });
    });
    it("chat content parts one byte over are rejected after parsing, before rendering", () => {
      const parts = JSON.stringify([{ type: "text", text: "a".repeat(LIMIT - 1) }, { type: "text", text: "" }]);
      // Joined with "\\n": LIMIT - 1 + 1 + 0 = LIMIT passes; one more character is over.
      expect(catchError(() => promptTokens(chat({ messages: [{ role: "user", contentPartsJson: parts }] }), assets))).to.be.instanceOf(ContextLengthError);
      expect(calls.render).to.equal(1);
      calls.render = 0;
      const over = JSON.stringify([{ type: "text", text: "a".repeat(LIMIT) }, { type: "text", text: "" }]);
      const err = catchError(() => promptTokens(chat({ messages: [{ role: "user", contentPartsJson: over }] }), assets)) as ContextLengthError;
      expect(err.param).to.equal("messages");
      expect(calls).to.deep.equal({ encode: 0, render: 0 });
    });
    it("a rendered chat over the limit (template text added) is rejected without tokenizing", () => {
      // "[user]" adds 6 bytes to content that alone fits.
      const err = catchError(() => promptTokens(chat({ messages: [{ role: "user", content: "a".repeat(LIMIT - 5) }] }), assets)) as ContextLengthError;
      expect(err).to.be.instanceOf(ContextLengthError);
      expect(err.param).to.equal("messages");
      expect(calls).to.deep.equal({ encode: 0, render: 1 });
    });
    it("a rendered chat exactly at the limit is tokenized", () => {
      promptTokens(chat({ messages: [{ role: "user", content: "a".repeat(LIMIT - 6) }] }), assets);
      expect(calls).to.deep.equal({ encode: 1, render: 1 });
    });
    it("encodePrompt checks on the calling thread before handing a large prompt to the pool", async () => {
      let pooled = 0;
      const fakePool = { encode: async () => (pooled++, { tokenIds: [1] }) };
      const withPool = { ...assets, contextLength: 1 << 20, pool: { pool: fakePool, model: { key: "k", data: new SharedArrayBuffer(0) } } } as unknown as EncodeAssets;
      const limit = (1 << 20) * 13;
      const err = await encodePrompt(text(limit + 1), withPool).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ContextLengthError);
      const chatErr = await encodePrompt(chat({ messages: [{ role: "user", content: "x".repeat(limit + 1) }] }), withPool).catch((e: unknown) => e);
      expect((chatErr as ContextLengthError).param).to.equal("messages");
      expect(pooled).to.equal(0);
      expect(calls.encode).to.equal(0);
      await encodePrompt(text(limit), withPool);
      expect(pooled).to.equal(1);
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function storiesData(contextLength: number): PromptModelData {
  const read = (file: string): string => readFileSync(join(storiesModelDir, file), "utf8");
  return { name: "stories260K", contextLength, tokenizerJson: read("tokenizer.json"), tokenizerConfigJson: read("tokenizer_config.json") };
}
