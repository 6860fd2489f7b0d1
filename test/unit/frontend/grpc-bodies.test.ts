import { expect } from "chai";
import { Code } from "#common/errors.js";
import type { CompletionOptions } from "#contracts/gen/kvmesh/v1/frontend.js";
import { chatBodyOf, completionBodyOf } from "../../../services/frontend/src/openai/grpc-bodies.js";
import { parseChatRequest, parseCompletionRequest } from "../../../services/frontend/src/openai/schemas.js";

const options = (o: Partial<CompletionOptions>): CompletionOptions => ({ stop: [], ignoreEos: false, logprobs: false, ...o });

function code(fn: () => unknown): [number | undefined, string | undefined] {
  try {
    fn();
  } catch (err) {
    return [(err as { code: number }).code, (err as { param?: string }).param];
  }
  return [undefined, undefined];
}

describe("frontend: the gRPC door validates through the REST schema", () => {
  const cases: Array<[string, Partial<CompletionOptions>, object, string]> = [
    ["temperature 7", { temperature: 7 }, { temperature: 7 }, "temperature"],
    ["stop [\"\"]", { stop: [""] }, { stop: [""] }, "stop"],
    ["max_tokens 0", { maxTokens: 0 }, { max_tokens: 0 }, "max_tokens"],
    ["top_p 0", { topP: 0 }, { top_p: 0 }, "top_p"],
    ["top_k -2", { topK: -2 }, { top_k: -2 }, "top_k"],
    ["top_logprobs 21", { logprobs: true, topLogprobs: 21 }, { logprobs: true, top_logprobs: 21 }, "top_logprobs"],
    ["top_logprobs without logprobs", { topLogprobs: 2 }, { top_logprobs: 2 }, "top_logprobs"],
    ["presence_penalty NaN", { presencePenalty: Number.NaN }, { presence_penalty: Number.NaN }, "presence_penalty"],
    ["logit_bias 101", { logitBiasJson: '{"5": 101}' }, { logit_bias: { 5: 101 } }, "logit_bias"],
    ["logit_bias not an object", { logitBiasJson: "[1]" }, { logit_bias: [1] }, "logit_bias"],
  ];
  for (const [what, grpc, http, param] of cases) {
    it(`rejects ${what} on both doors with the same code and param`, () => {
      const viaGrpc = code(() => parseChatRequest(chatBodyOf({ model: "m", messages: [{ role: "user", content: "hi" }], options: options(grpc) })));
      const viaHttp = code(() => parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], ...http }));
      expect(viaGrpc).to.deep.equal([Code.INVALID_ARGUMENT, param]);
      expect(viaGrpc).to.deep.equal(viaHttp);
    });
  }

  it("rejects a user message without content, bad JSON text fields and deep nesting, naming the field", () => {
    const chat = (extra: object) => code(() => parseChatRequest(chatBodyOf({ model: "m", messages: [{ role: "user", content: "hi" }], options: undefined, ...extra })));
    expect(chat({ messages: [{ role: "user" }] })).to.deep.equal([Code.INVALID_ARGUMENT, "messages[0].content"]);
    expect(chat({ toolsJson: "{not json" })).to.deep.equal([Code.INVALID_ARGUMENT, "tools"]);
    expect(chat({ toolsJson: "{}" })).to.deep.equal([Code.INVALID_ARGUMENT, "tools"]);
    expect(chat({ chatTemplateKwargsJson: `{"a":${"[".repeat(100)}${"]".repeat(100)}}` })).to.deep.equal([Code.INVALID_ARGUMENT, "chat_template_kwargs"]);
    expect(chat({ messages: [{ role: "user", contentPartsJson: "[".repeat(5000) }] })).to.deep.equal([Code.INVALID_ARGUMENT, "messages[0].content"]);
    expect(chat({ model: "" })).to.deep.equal([Code.INVALID_ARGUMENT, "model"]);
  });

  it("carries tool_choice_json into the chat parser: same code and param as REST, and the same parsed tools", () => {
    const tools = [{ type: "function", function: { name: "get_weather" } }];
    const viaGrpc = (toolChoiceJson: string | undefined, toolsJson: string | null = JSON.stringify(tools)) => code(() => parseChatRequest(chatBodyOf({
      model: "m", messages: [{ role: "user", content: "hi" }], options: undefined, toolsJson: toolsJson ?? undefined, toolChoiceJson,
    })));
    const viaHttp = (extra: object) => code(() => parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], tools, ...extra }));
    expect(viaGrpc('"required"')).to.deep.equal([Code.UNIMPLEMENTED, "tool_choice"]).and.deep.equal(viaHttp({ tool_choice: "required" }));
    expect(viaGrpc('{"type":"function","function":{"name":"get_weather"}}')).to.deep.equal([Code.UNIMPLEMENTED, "tool_choice"]);
    expect(viaGrpc('"always"')).to.deep.equal([Code.INVALID_ARGUMENT, "tool_choice"]).and.deep.equal(viaHttp({ tool_choice: "always" }));
    expect(viaGrpc("{not json")).to.deep.equal([Code.INVALID_ARGUMENT, "tool_choice"]);
    expect(viaGrpc('"auto"', null)).to.deep.equal([Code.INVALID_ARGUMENT, "tool_choice"]);
    expect(viaGrpc('"auto"', '[{"type":"custom"}]')).to.deep.equal([Code.UNIMPLEMENTED, "tools[0].type"]);
    const parse = (toolChoiceJson: string | undefined) => parseChatRequest(chatBodyOf({
      model: "m", messages: [{ role: "user", content: "hi" }], options: undefined, toolsJson: JSON.stringify(tools), toolChoiceJson,
    })).request;
    expect(parse(undefined).parseToolCalls).to.equal(true);
    expect(parse('"auto"')).to.deep.equal(parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], tools, tool_choice: "auto" }).request);
    expect(parse('"none"').parseToolCalls).to.equal(undefined);
    expect(parse("null").parseToolCalls).to.equal(true);
  });

  it("maps a valid gRPC completion onto the same request as the REST body", () => {
    const grpc = parseCompletionRequest(completionBodyOf({
      model: "m", prompt: { $case: "tokens", tokens: { tokenIds: [1, 2] } },
      options: options({ maxTokens: 5, temperature: 0.5, seed: 18446744073709551615n, stop: ["x"], logprobs: true, topLogprobs: 2, ignoreEos: true }),
    }));
    const http = parseCompletionRequest({ model: "m", prompt: [1, 2], max_tokens: 5, temperature: 0.5, seed: -1, stop: ["x"], logprobs: 2, ignore_eos: true });
    expect(grpc.request).to.deep.equal(http.request);
    expect(grpc.request.sampling?.seed).to.equal(18446744073709551615n);
  });

  it("carries logit_bias_json into the same sampling parameters as REST's logit_bias (bounds -100 and 100 included)", () => {
    const grpc = parseCompletionRequest(completionBodyOf({ model: "m", prompt: { $case: "text", text: "hi" }, options: options({ logitBiasJson: '{"7": 100, "9": -100}' }) }));
    const http = parseCompletionRequest({ model: "m", prompt: "hi", logit_bias: { 7: 100, 9: -100 } });
    expect(grpc.request).to.deep.equal(http.request);
    expect(grpc.request.sampling?.logitBias).to.not.equal(undefined);
  });

  it("rejects a completion without a prompt", () => {
    expect(code(() => parseCompletionRequest(completionBodyOf({ model: "m", prompt: undefined, options: undefined })))).to.deep.equal([Code.INVALID_ARGUMENT, "prompt"]);
  });
});
