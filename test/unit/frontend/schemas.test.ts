import { expect } from "chai";
import { Code } from "#common/errors.js";
import { parseChatRequest, parseCompletionRequest } from "../../../services/frontend/src/openai/schemas.js";
import { OPENAI_PARAMS } from "../../../services/frontend/src/openai/params.js";

const WEATHER = { type: "function", function: { name: "get_weather", parameters: { type: "object" } } };
const chat = (extra: object) => ({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra });

describe("frontend: OpenAI request validation", () => {
  const rejected: Array<[string, object, number, string]> = [
    ["temperature > 2", chat({ temperature: 2.5 }), Code.INVALID_ARGUMENT, "temperature"],
    ["temperature as string", chat({ temperature: "hot" }), Code.INVALID_ARGUMENT, "temperature"],
    ["top_p 0", chat({ top_p: 0 }), Code.INVALID_ARGUMENT, "top_p"],
    ["max_tokens 0", chat({ max_tokens: 0 }), Code.INVALID_ARGUMENT, "max_tokens"],
    ["max_tokens fractional", chat({ max_tokens: 1.5 }), Code.INVALID_ARGUMENT, "max_tokens"],
    ["presence_penalty 3", chat({ presence_penalty: 3 }), Code.INVALID_ARGUMENT, "presence_penalty"],
    ["top_logprobs without logprobs", chat({ top_logprobs: 2 }), Code.INVALID_ARGUMENT, "top_logprobs"],
    ["top_logprobs 21", chat({ logprobs: true, top_logprobs: 21 }), Code.INVALID_ARGUMENT, "top_logprobs"],
    ["stream_options without stream", chat({ stream_options: { include_usage: true } }), Code.INVALID_ARGUMENT, "stream_options"],
    ["17 stop strings", chat({ stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }), Code.INVALID_ARGUMENT, "stop"],
    ["empty stop string", chat({ stop: [""] }), Code.INVALID_ARGUMENT, "stop"],
    ["bad role", chat({ messages: [{ role: "robot", content: "x" }] }), Code.INVALID_ARGUMENT, "messages[0].role"],
    ["user without content", chat({ messages: [{ role: "user" }] }), Code.INVALID_ARGUMENT, "messages[0].content"],
    ["no model", { messages: [{ role: "user", content: "x" }] }, Code.INVALID_ARGUMENT, "model"],
    ["n 2", chat({ n: 2 }), Code.UNIMPLEMENTED, "n"],
    ["response_format", chat({ response_format: { type: "json_object" } }), Code.UNIMPLEMENTED, "response_format"],
    ["tool_choice auto without tools", chat({ tool_choice: "auto" }), Code.INVALID_ARGUMENT, "tool_choice"],
    ["tool_choice required", chat({ tools: [WEATHER], tool_choice: "required" }), Code.UNIMPLEMENTED, "tool_choice"],
    ["tool_choice naming a function", chat({ tools: [WEATHER], tool_choice: { type: "function", function: { name: "get_weather" } } }), Code.UNIMPLEMENTED, "tool_choice"],
    ["tool_choice of another word", chat({ tools: [WEATHER], tool_choice: "always" }), Code.INVALID_ARGUMENT, "tool_choice"],
    ["a tool that is no function", chat({ tools: [{ type: "custom", custom: { name: "x" } }] }), Code.UNIMPLEMENTED, "tools[0].type"],
    ["a function tool without a name", chat({ tools: [WEATHER, { type: "function", function: {} }] }), Code.INVALID_ARGUMENT, "tools[1].function.name"],
    ["tools not a list", chat({ tools: WEATHER }), Code.INVALID_ARGUMENT, "tools"],
    ["parallel_tool_calls false", chat({ tools: [WEATHER], parallel_tool_calls: false }), Code.UNIMPLEMENTED, "parallel_tool_calls"],
    ["a tool without a type", chat({ tools: [{ function: { name: "x" } }] }), Code.UNIMPLEMENTED, "tools[0].type"],
    ["a tool of another type with no function", chat({ tools: [{ type: "web_search" }] }), Code.UNIMPLEMENTED, "tools[0].type"],
    ["a tool that is no object", chat({ tools: [5] }), Code.INVALID_ARGUMENT, "tools[0]"],
    ["a function tool with an empty name", chat({ tools: [{ type: "function", function: { name: "" } }] }), Code.INVALID_ARGUMENT, "tools[0].function.name"],
    ["tool_choice auto with an empty tools list", chat({ tools: [], tool_choice: "auto" }), Code.INVALID_ARGUMENT, "tool_choice"],
    ["tool_choice a number", chat({ tools: [WEATHER], tool_choice: 1 }), Code.INVALID_ARGUMENT, "tool_choice"],
    ["parallel_tool_calls not a boolean", chat({ parallel_tool_calls: "yes" }), Code.INVALID_ARGUMENT, "parallel_tool_calls"],
    ["an unknown field", chat({ temprature: 1 }), Code.UNIMPLEMENTED, "temprature"],
  ];
  for (const [what, body, code, param] of rejected) {
    it(`rejects ${what} with code ${code} naming ${param}`, () => {
      let thrown: { code?: number; param?: string; message?: string } | undefined;
      try {
        parseChatRequest(body as Record<string, unknown>);
      } catch (err) {
        thrown = err as typeof thrown;
      }
      expect(thrown?.code).to.equal(code);
      expect(thrown?.param).to.equal(param);
      expect(thrown?.message).to.include(param.replace(/\[.*$/, ""));
    });
  }

  it("maps a full chat request onto the preprocessor's fields", () => {
    const parsed = parseChatRequest(chat({
      max_completion_tokens: 9, temperature: 0.5, top_p: 0.9, top_k: 40, seed: 3, stop: "END", presence_penalty: 0.1,
      frequency_penalty: 0.2, repetition_penalty: 1.1, min_tokens: 2, ignore_eos: true, logprobs: true, top_logprobs: 3,
      stream: true, stream_options: { include_usage: true }, tools: [WEATHER], chat_template_kwargs: { a: 1 },
      messages: [{ role: "developer", content: "sys" }, { role: "user", content: [{ type: "text", text: "hi" }] }],
    }));
    expect(parsed).to.deep.include({ kind: "chat", model: "m", stream: true, includeUsage: true, topLogprobs: 3 });
    expect(parsed.request.sampling).to.deep.equal({ temperature: 0.5, topP: 0.9, topK: 40, seed: 3n, presencePenalty: 0.1, frequencyPenalty: 0.2, repetitionPenalty: 1.1, topLogprobs: 3 });
    expect(parsed.request.stop).to.deep.equal({ maxTokens: 9, minTokens: 2, stopTokenIds: [], ignoreEos: true });
    expect(parsed.request.stopStrings).to.deep.equal(["END"]);
    const prompt = parsed.request.prompt;
    expect(prompt?.$case).to.equal("chat");
    if (prompt?.$case !== "chat") return;
    expect(prompt.chat.messages[0]).to.deep.equal({ role: "system", content: "sys" });
    expect(prompt.chat.messages[1].contentPartsJson).to.equal('[{"type":"text","text":"hi"}]');
    expect(prompt.chat.toolsJson).to.equal(JSON.stringify([WEATHER]));
    expect(parsed.request.parseToolCalls).to.equal(true);
    expect(prompt.chat.chatTemplateKwargsJson).to.equal('{"a":1}');
  });

  const toolCases: Array<[string, object, boolean]> = [
    ["tools without tool_choice (auto by default)", { tools: [WEATHER] }, true],
    ["tools with tool_choice auto", { tools: [WEATHER], tool_choice: "auto" }, true],
    ["tools with parallel_tool_calls true", { tools: [WEATHER], parallel_tool_calls: true }, true],
    ["tools with tool_choice none", { tools: [WEATHER], tool_choice: "none" }, false],
    ["tools null and tool_choice null", { tools: null, tool_choice: null }, false],
    ["an empty tools list", { tools: [] }, false],
    ["tool_choice none without tools", { tool_choice: "none" }, false],
  ];
  for (const [what, extra, parse] of toolCases) {
    it(`${parse ? "parses" : "does not parse"} tool calls for ${what}`, () => {
      expect(parseChatRequest(chat(extra)).request.parseToolCalls ?? false).to.equal(parse);
    });
  }

  it("leaves unset sampling fields unset, for generation_config defaults downstream", () => {
    const parsed = parseChatRequest(chat({}));
    expect(parsed.request.sampling).to.deep.equal({
      temperature: undefined, topP: undefined, topK: undefined, seed: undefined, presencePenalty: undefined,
      frequencyPenalty: undefined, repetitionPenalty: undefined, topLogprobs: undefined,
    });
    expect(parsed.request.stop?.maxTokens).to.equal(undefined);
  });

  const prompts: Array<[string, unknown, unknown]> = [
    ["a string", "hello", { $case: "text", text: "hello" }],
    ["a list of one string", ["hello"], { $case: "text", text: "hello" }],
    ["token ids", [1, 2, 3], { $case: "tokens", tokens: { tokenIds: [1, 2, 3] } }],
    ["a list of one token list", [[4, 5]], { $case: "tokens", tokens: { tokenIds: [4, 5] } }],
  ];
  for (const [what, prompt, expected] of prompts) {
    it(`takes a completion prompt given as ${what}`, () => {
      expect(parseCompletionRequest({ model: "m", prompt }).request.prompt).to.deep.equal(expected);
    });
  }

  it("rejects several completion prompts, an empty one, echo and suffix", () => {
    const codes = [{ prompt: ["a", "b"] }, { prompt: "" }, { prompt: "a", echo: true }, { prompt: "a", suffix: "z" }].map((extra) => {
      try {
        parseCompletionRequest({ model: "m", ...extra });
        return undefined;
      } catch (err) {
        return (err as { code: number }).code;
      }
    });
    expect(codes).to.deep.equal([Code.UNIMPLEMENTED, Code.INVALID_ARGUMENT, Code.UNIMPLEMENTED, Code.UNIMPLEMENTED]);
  });

  it("knows every parameter once per endpoint", () => {
    for (const endpoint of ["chat", "completions"] as const) {
      const names = OPENAI_PARAMS.filter((p) => p.endpoints.includes(endpoint)).map((p) => p.name);
      expect(new Set(names).size).to.equal(names.length);
    }
  });
});
