import { expect } from "chai";
import { Code } from "#common/errors.js";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { parseResponsesRequest } from "../../../services/frontend/src/openai/responses-api/request.js";
import { ResponseBuilder } from "../../../services/frontend/src/openai/responses-api/response-builder.js";

const body = (extra: object) => ({ model: "m", input: "hi", ...extra });
const FN = { type: "function", name: "get_weather", parameters: { type: "object" }, strict: true };

describe("frontend: Responses API requests", () => {
  const rejected: Array<[string, object, number, string]> = [
    ["store: true", body({ store: true }), Code.UNIMPLEMENTED, "store"],
    ["previous_response_id", body({ previous_response_id: "resp_1" }), Code.UNIMPLEMENTED, "previous_response_id"],
    ["an unknown field", body({ temprature: 1 }), Code.UNIMPLEMENTED, "temprature"],
    ["text.format json_schema", body({ text: { format: { type: "json_schema" } } }), Code.UNIMPLEMENTED, "text"],
    ["parallel_tool_calls false", body({ parallel_tool_calls: false }), Code.UNIMPLEMENTED, "parallel_tool_calls"],
    ["truncation auto", body({ truncation: "auto" }), Code.UNIMPLEMENTED, "truncation"],
    ["a web_search tool", body({ tools: [{ type: "web_search" }] }), Code.UNIMPLEMENTED, "tools[0].type"],
    ["tool_choice required", body({ tools: [FN], tool_choice: "required" }), Code.UNIMPLEMENTED, "tool_choice"],
    ["a named tool_choice", body({ tools: [FN], tool_choice: { type: "function", name: "get_weather" } }), Code.UNIMPLEMENTED, "tool_choice"],
    ["no model", { input: "hi" }, Code.INVALID_ARGUMENT, "model"],
    ["an empty input", body({ input: "" }), Code.INVALID_ARGUMENT, "input"],
    ["an empty input list", body({ input: [] }), Code.INVALID_ARGUMENT, "input"],
    ["an item of unknown type", body({ input: [{ type: "image_generation_call" }] }), Code.UNIMPLEMENTED, "input[0].type"],
    ["a message with a bad role", body({ input: [{ role: "robot", content: "x" }] }), Code.INVALID_ARGUMENT, "input[0].role"],
    ["an image part", body({ input: [{ role: "user", content: [{ type: "input_image", image_url: "x" }] }] }), Code.UNIMPLEMENTED, "input[0].content[0].type"],
    ["a function_call without call_id", body({ input: [{ type: "function_call", name: "f", arguments: "{}" }] }), Code.INVALID_ARGUMENT, "input[0].call_id"],
    ["max_output_tokens 0", body({ max_output_tokens: 0 }), Code.INVALID_ARGUMENT, "max_output_tokens"],
    ["temperature 2.1", body({ temperature: 2.1 }), Code.INVALID_ARGUMENT, "temperature"],
    ["top_p 0", body({ top_p: 0 }), Code.INVALID_ARGUMENT, "top_p"],
    ["no input", { model: "m" }, Code.INVALID_ARGUMENT, "input"],
    ["an input that is a number", body({ input: 5 }), Code.INVALID_ARGUMENT, "input"],
    ["a function tool without a name", body({ tools: [{ type: "function" }] }), Code.INVALID_ARGUMENT, "tools[0].name"],
    ["a tool without a type", body({ tools: [{ name: "f" }] }), Code.UNIMPLEMENTED, "tools[0].type"],
    ["tool_choice auto without tools", body({ tool_choice: "auto" }), Code.INVALID_ARGUMENT, "tool_choice"],
    ["tool_choice of another word", body({ tools: [FN], tool_choice: "always" }), Code.INVALID_ARGUMENT, "tool_choice"],
    ["max_output_tokens 2^32", body({ max_output_tokens: 2 ** 32 }), Code.INVALID_ARGUMENT, "max_output_tokens"],
    ["temperature -0.1", body({ temperature: -0.1 }), Code.INVALID_ARGUMENT, "temperature"],
    ["top_p 1.01", body({ top_p: 1.01 }), Code.INVALID_ARGUMENT, "top_p"],
    ["text not an object", body({ text: "plain" }), Code.INVALID_ARGUMENT, "text"],
    ["truncation not a string", body({ truncation: 1 }), Code.INVALID_ARGUMENT, "truncation"],
    ["stream not a boolean", body({ stream: "yes" }), Code.INVALID_ARGUMENT, "stream"],
  ];
  for (const [what, b, code, param] of rejected) {
    it(`rejects ${what} (code ${code}, param ${param})`, () => {
      let thrown: { code?: number; param?: string } | undefined;
      try {
        parseResponsesRequest(b as Record<string, unknown>);
      } catch (err) {
        thrown = err as typeof thrown;
      }
      expect(thrown?.code).to.equal(code);
      expect(thrown?.param).to.equal(param);
    });
  }

  it("accepts the boundary values and stateless defaults", () => {
    const parsed = parseResponsesRequest(body({ text: { format: { type: "text" } }, store: false, previous_response_id: null, max_output_tokens: 1, temperature: 2, top_p: 1, truncation: "disabled", parallel_tool_calls: true }));
    expect(parsed.request.stop?.maxTokens).to.equal(1);
    expect(parsed.request.sampling).to.deep.equal({ temperature: 2, topP: 1 });
    expect(parsed.stream).to.equal(false);
  });

  it("maps instructions and items onto chat messages, joining consecutive function calls", () => {
    const parsed = parseResponsesRequest(body({
      instructions: "Be brief.", tools: [FN],
      input: [
        { role: "developer", content: "dev" },
        { type: "message", role: "user", content: [{ type: "input_text", text: "a" }, { type: "input_text", text: "b" }] },
        { type: "reasoning", id: "rs_1", summary: [] },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{\"x\":1}" },
        { type: "function_call", call_id: "c2", name: "g", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "one" },
        { type: "function_call_output", call_id: "c2", output: "two" },
      ],
    }));
    const prompt = parsed.request.prompt;
    if (prompt?.$case !== "chat") throw new Error("not a chat");
    const m = prompt.chat.messages;
    expect(m.map((x) => x.role)).to.deep.equal(["system", "system", "user", "assistant", "tool", "tool"]);
    expect(m[0].content).to.equal("Be brief.");
    expect(m[2].content).to.equal("a\nb");
    expect(JSON.parse(m[3].toolCallsJson ?? "[]")).to.deep.equal([
      { id: "c1", type: "function", function: { name: "f", arguments: "{\"x\":1}" } },
      { id: "c2", type: "function", function: { name: "g", arguments: "{}" } },
    ]);
    expect(m[5]).to.deep.include({ toolCallId: "c2", content: "two" });
    expect(JSON.parse(prompt.chat.toolsJson ?? "[]")).to.deep.equal([{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }]);
    expect(parsed.request.parseToolCalls).to.equal(true);
  });
});

describe("frontend: Responses objects and events", () => {
  const message = (extra: Partial<PreprocessResponse>): PreprocessResponse => ({ text: "", tokenIds: [1], logprobs: [], workerId: "w", migrations: 0, toolCalls: [], ...extra });

  it("orders items reasoning → text → function call, closing each before the next opens", () => {
    const b = new ResponseBuilder("resp_1", 0, parseResponsesRequest(body({})));
    const events = [
      ...b.start(),
      ...b.push(message({ reasoningText: "hmm" })),
      ...b.push(message({ text: "Hi" })),
      ...b.push(message({ toolCalls: [{ index: 0, id: "call_1", name: "f", arguments: "{\"a\"" }] })),
      ...b.push(message({ toolCalls: [{ index: 0, id: "", name: "", arguments: ":1}" }], finishReason: FinishReason.FINISH_REASON_STOP, usage: { promptTokens: 5, completionTokens: 4, cachedTokens: 2 } })),
      ...b.finish(),
    ] as Array<{ type: string; sequence_number: number }>;
    expect(events.map((e) => e.sequence_number)).to.deep.equal(events.map((_, i) => i));
    expect(events.map((e) => e.type)).to.deep.equal([
      "response.created", "response.in_progress",
      "response.output_item.added", "response.reasoning_text.delta", "response.reasoning_text.done", "response.output_item.done",
      "response.output_item.added", "response.content_part.added", "response.output_text.delta",
      "response.output_text.done", "response.content_part.done", "response.output_item.done",
      "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
      "response.function_call_arguments.done", "response.output_item.done", "response.completed",
    ]);
    const final = b.object(b.status()) as { status: string; output: Array<Record<string, unknown>>; usage: Record<string, unknown> };
    expect(final.status).to.equal("completed");
    expect(final.output.map((o) => o.type)).to.deep.equal(["reasoning", "message", "function_call"]);
    expect(final.output[2]).to.deep.include({ call_id: "call_1", name: "f", arguments: "{\"a\":1}", status: "completed" });
    expect(final.usage).to.deep.equal({ input_tokens: 5, input_tokens_details: { cached_tokens: 2 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 9 });
  });

  it("an empty answer still has one (empty) message; a length stop is incomplete", () => {
    const b = new ResponseBuilder("resp_2", 0, parseResponsesRequest(body({ max_output_tokens: 1 })));
    b.push(message({ finishReason: FinishReason.FINISH_REASON_LENGTH, usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 } }));
    const events = b.finish() as Array<{ type: string }>;
    expect(events.at(-1)?.type).to.equal("response.incomplete");
    const final = b.object(b.status()) as { status: string; incomplete_details: unknown; output: Array<{ type: string; content: unknown[] }> };
    expect(final.status).to.equal("incomplete");
    expect(final.incomplete_details).to.deep.equal({ reason: "max_output_tokens" });
    expect(final.output).to.have.length(1);
    expect(final.output[0].content).to.deep.equal([{ type: "output_text", text: "", annotations: [], logprobs: [] }]);
  });
});
