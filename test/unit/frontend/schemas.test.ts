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
    ["response_format json_object", chat({ response_format: { type: "json_object" } }), Code.UNIMPLEMENTED, "response_format"],
    ["response_format without type", chat({ response_format: {} }), Code.INVALID_ARGUMENT, "response_format.type"],
    ["an unknown stream_options key", chat({ stream: true, stream_options: { include_usage: true, continuous_usage: true } }), Code.INVALID_ARGUMENT, "stream_options.continuous_usage"],
    ["continuous_usage_stats not a boolean", chat({ stream: true, stream_options: { continuous_usage_stats: 1 } }), Code.INVALID_ARGUMENT, "stream_options.continuous_usage_stats"],
    ["logit_bias 100.001", chat({ logit_bias: { 5: 100.001 } }), Code.INVALID_ARGUMENT, "logit_bias"],
    ["logit_bias -100.001", chat({ logit_bias: { 5: -100.001 } }), Code.INVALID_ARGUMENT, "logit_bias"],
    ["logit_bias as a string", chat({ logit_bias: { 5: "1" } }), Code.INVALID_ARGUMENT, "logit_bias"],
    ["logit_bias key not a token id", chat({ logit_bias: { a: 1 } }), Code.INVALID_ARGUMENT, "logit_bias"],
    ["logit_bias key -1", chat({ logit_bias: { "-1": 1 } }), Code.INVALID_ARGUMENT, "logit_bias"],
    ["logit_bias key 2^32", chat({ logit_bias: { 4294967296: 1 } }), Code.INVALID_ARGUMENT, "logit_bias"],
    ["logit_bias as a list", chat({ logit_bias: [1] }), Code.INVALID_ARGUMENT, "logit_bias"],
    ["301 logit_bias entries", chat({ logit_bias: Object.fromEntries(Array.from({ length: 301 }, (_, i) => [i, 1])) }), Code.INVALID_ARGUMENT, "logit_bias"],
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
    expect(parsed.request.sampling).to.deep.equal({ temperature: 0.5, topP: 0.9, topK: 40, seed: 3n, presencePenalty: 0.1, frequencyPenalty: 0.2, repetitionPenalty: 1.1, topLogprobs: 3, logitBias: undefined });
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
      frequencyPenalty: undefined, repetitionPenalty: undefined, topLogprobs: undefined, logitBias: undefined,
    });
    expect(parsed.request.stop?.maxTokens).to.equal(undefined);
  });

  it("takes logit_bias at its bounds and 300 entries, keyed by token id", () => {
    const bias = parseChatRequest(chat({ logit_bias: { 0: -100, 4294967295: 100, 7: 0.5 } })).request.sampling?.logitBias;
    expect(bias).to.deep.equal({ bias: { 0: -100, 4294967295: 100, 7: 0.5 } });
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [i, 1]));
    expect(Object.keys(parseCompletionRequest({ model: "m", prompt: "x", logit_bias: many }).request.sampling?.logitBias?.bias ?? {})).to.have.length(300);
    expect(parseChatRequest(chat({ logit_bias: null })).request.sampling?.logitBias).to.equal(undefined);
  });

  it("reads stream_options: include_usage and continuous_usage_stats, each defaulting to false", () => {
    const flags = (options: object | null): object => {
      const p = parseChatRequest(chat({ stream: true, stream_options: options }));
      return { includeUsage: p.includeUsage, continuousUsage: p.continuousUsage };
    };
    expect(flags(null)).to.deep.equal({ includeUsage: false, continuousUsage: false });
    expect(flags({})).to.deep.equal({ includeUsage: false, continuousUsage: false });
    expect(flags({ continuous_usage_stats: true })).to.deep.equal({ includeUsage: false, continuousUsage: true });
    expect(flags({ include_usage: true, continuous_usage_stats: false })).to.deep.equal({ includeUsage: true, continuousUsage: false });
  });

  it("accepts the no-op values echo false, best_of 1, n 1 and response_format text, changing nothing", () => {
    const plain = parseCompletionRequest({ model: "m", prompt: "x" });
    expect(parseCompletionRequest({ model: "m", prompt: "x", echo: false, best_of: 1, n: 1 })).to.deep.equal(plain);
    expect(parseChatRequest(chat({ response_format: { type: "text" }, n: 1 }))).to.deep.equal(parseChatRequest(chat({})));
  });

  const completionRejects: Array<[string, object, number, string]> = [
    ["echo true", { echo: true }, Code.UNIMPLEMENTED, "echo"],
    ["echo as a string", { echo: "no" }, Code.INVALID_ARGUMENT, "echo"],
    ["best_of 2", { best_of: 2 }, Code.UNIMPLEMENTED, "best_of"],
    ["best_of 0", { best_of: 0 }, Code.INVALID_ARGUMENT, "best_of"],
    ["best_of 1.5", { best_of: 1.5 }, Code.INVALID_ARGUMENT, "best_of"],
    ["response_format (chat only)", { response_format: { type: "text" } }, Code.UNIMPLEMENTED, "response_format"],
  ];
  for (const [what, extra, code, param] of completionRejects) {
    it(`completions reject ${what} with code ${code} naming ${param}`, () => {
      expect(() => parseCompletionRequest({ model: "m", prompt: "x", ...extra })).to.throw().that.satisfies((e: { code: number; param: string }) => e.code === code && e.param === param);
    });
  }

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

  // Every supported row of the parameter table, with a value that must change the parsed
  // request (so nothing is accepted and ignored), or a value that is documented as a no-op.
  const SUPPORTED: Record<string, { value: unknown; noop?: true; with?: object }> = {
    model: { value: "other" }, messages: { value: [{ role: "user", content: "bye" }] }, prompt: { value: "other" },
    max_tokens: { value: 5 }, max_completion_tokens: { value: 5 }, temperature: { value: 0.5 }, top_p: { value: 0.5 },
    top_k: { value: 5 }, seed: { value: 5 }, stop: { value: "x" }, stop_token_ids: { value: [5] }, presence_penalty: { value: 1 },
    frequency_penalty: { value: 1 }, repetition_penalty: { value: 1.5 }, min_tokens: { value: 5 }, ignore_eos: { value: true },
    logprobs: { value: true }, top_logprobs: { value: 2 }, stream: { value: true }, stream_options: { value: { include_usage: true }, with: { stream: true } },
    n: { value: 1, noop: true }, user: { value: "u" }, tools: { value: [{ type: "function", function: { name: "f" } }] },
    // With tools, "none" turns the default "auto" (tool-call parsing) off.
    tool_choice: { value: "none", with: { tools: [{ type: "function", function: { name: "f" } }] } }, parallel_tool_calls: { value: true, noop: true }, chat_template_kwargs: { value: { a: 1 } }, add_generation_prompt: { value: false },
    skip_special_tokens: { value: false }, include_stop_str_in_output: { value: true }, logit_bias: { value: { 5: 1 } },
    response_format: { value: { type: "text" }, noop: true }, best_of: { value: 1, noop: true }, echo: { value: false, noop: true },
  };
  for (const endpoint of ["chat", "completions"] as const) {
    const parse = endpoint === "chat" ? parseChatRequest : parseCompletionRequest;
    const base = (): Record<string, unknown> => (endpoint === "chat" ? chat({}) : { model: "m", prompt: "x" });
    for (const row of OPENAI_PARAMS.filter((p) => p.support === "supported" && p.endpoints.includes(endpoint))) {
      it(`${endpoint}: the supported ${row.name} ${SUPPORTED[row.name]?.noop ? "is a documented no-op" : "changes the parsed request"}`, () => {
        const sample = SUPPORTED[row.name];
        expect(sample, `a sample value for ${row.name}`).to.not.equal(undefined);
        // top_logprobs needs logprobs (chat), stream_options stream, tool_choice tools: compare against those alone.
        const needs = { ...sample.with, ...(row.name === "top_logprobs" && endpoint === "chat" ? { logprobs: true } : {}) };
        const before = parse({ ...base(), ...needs });
        const after = parse({ ...base(), ...needs, [row.name]: endpoint === "completions" && row.name === "logprobs" ? 2 : sample.value });
        if (sample.noop) expect(after).to.deep.equal(before);
        else expect(after).to.not.deep.equal(before);
      });
    }
  }

  it("knows every parameter once per endpoint", () => {
    for (const endpoint of ["chat", "completions"] as const) {
      const names = OPENAI_PARAMS.filter((p) => p.endpoints.includes(endpoint)).map((p) => p.name);
      expect(new Set(names).size).to.equal(names.length);
    }
  });
});
