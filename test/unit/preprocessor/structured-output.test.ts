import { expect } from "chai";
import { Code } from "#common/errors.js";
import type { PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { parserNeedsSpecialTokens, structuredOutputFor } from "../../../services/preprocessor/src/parsers/structured-output.js";
import { echoTokensFor } from "../../../services/preprocessor/src/request/echo-tokens.js";

const chat = (extra: Partial<PreprocessRequest> = {}): PreprocessRequest => ({
  requestId: "r", model: "m", stopStrings: [], includeStopStrInOutput: false,
  prompt: { $case: "chat", chat: { messages: [{ role: "user", content: "first" }, { role: "assistant", content: "ok" }, { role: "user", content: "last one" }, { role: "tool", content: "t" }] } },
  ...extra,
});

describe("preprocessor: which parsers a request gets", () => {
  it("tool calls without --tool-call-parser are a 400 naming tools", () => {
    let thrown: { code?: number; param?: string } | undefined;
    try {
      structuredOutputFor(chat({ parseToolCalls: true }), { reasoning: "qwen3" });
    } catch (err) {
      thrown = err as typeof thrown;
    }
    expect(thrown?.code).to.equal(Code.UNIMPLEMENTED);
    expect(thrown?.param).to.equal("tools");
  });

  it("no parser configured, no tool calls asked: responses pass unchanged", () => {
    expect(structuredOutputFor(chat(), {}).active).to.equal(false);
    expect(structuredOutputFor(chat({ parseToolCalls: false }), { toolCall: "hermes" }).active).to.equal(false);
  });

  it("reasoning applies to chats only", () => {
    expect(structuredOutputFor(chat(), { reasoning: "deepseek-r1" }).active).to.equal(true);
    expect(structuredOutputFor({ prompt: { $case: "text", text: "x" } }, { reasoning: "deepseek-r1" }).active).to.equal(false);
  });

  it("keeps special tokens for the mistral parser only when parsing tool calls", () => {
    expect(parserNeedsSpecialTokens({ parseToolCalls: true }, { toolCall: "mistral" })).to.equal(true);
    expect(parserNeedsSpecialTokens({ parseToolCalls: false }, { toolCall: "mistral" })).to.equal(false);
    expect(parserNeedsSpecialTokens({ parseToolCalls: true }, { toolCall: "hermes" })).to.equal(false);
  });
});

describe("preprocessor: echo tokens for an echo-engine worker", () => {
  const tokenizer = { encode: (text: string, special: boolean) => [...text].map((c) => c.charCodeAt(0) + (special ? 1000 : 0)) };
  const assets = (engine: string) => ({ engine, tokenizer: tokenizer as never });

  it("are the last user turn (a tool result counts), tokenized alone without special tokens", () => {
    const codes = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
    expect(echoTokensFor(chat(), assets("echo"))?.tokenIds, "a tool result after the user").to.deep.equal(codes("t"));
    const userLast = chat({ prompt: { $case: "chat", chat: { messages: [{ role: "tool", content: "t" }, { role: "user", content: "last one" }, { role: "assistant", content: "ok" }] } } });
    expect(echoTokensFor(userLast, assets("echo"))?.tokenIds, "a user message after the tool result").to.deep.equal(codes("last one"));
  });
  it("are absent for other engines, completions and an empty last user message", () => {
    expect(echoTokensFor(chat(), assets("mocker"))).to.equal(undefined);
    expect(echoTokensFor({ ...chat(), prompt: { $case: "text", text: "x" } }, assets("echo"))).to.equal(undefined);
    const empty = chat({ prompt: { $case: "chat", chat: { messages: [{ role: "user", content: "" }] } } });
    expect(echoTokensFor(empty, assets("echo"))).to.equal(undefined);
  });
});
