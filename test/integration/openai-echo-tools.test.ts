// The `openai` npm client against a live mesh whose worker runs the echo engine (it answers
// with the last user message, token by token through the real tokenizer), so every parser and
// response shape is driven with exact text: tool calls (hermes) and reasoning (qwen3) in chat
// completions, streamed and not, and the Responses API, plus its 400s.
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import { Code } from "#common/errors.js";
import { createClient } from "#common/grpc-client.js";
import { FrontendClient } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { ChatCompletionRequest, CompletionChunk } from "#contracts/gen/kvmesh/v1/frontend.js";
import { writeTinyModel } from "#models/tiny/create-tiny.js";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { repoRoot } from "../support/stories-model.js";

const MODEL = "echo";
const WEATHER: OpenAI.Chat.ChatCompletionTool = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };
const ARGS = { city: "Paris", when: ["today", "tomorrow"] };
const CALL_TEXT = `Let me check.<tool_call>\n{"name": "get_weather", "arguments": ${JSON.stringify(ARGS)}}\n</tool_call>`;

describe("openai client over the echo engine: tool calls, reasoning, Responses API", function () {
  this.timeout(120_000);
  let mesh: Mesh;
  let openai: OpenAI;

  before(async () => {
    const modelDir = writeTinyModel(mkdtempSync(join(tmpdir(), "kvmesh-echo-model-")));
    const template = join(repoRoot, "test/fixtures/templates/chatml-tools.jinja");
    // Speedup 5, not 50: tokens one timer tick apart, so streamed arguments arrive in pieces
    // (the mesh joins tokens that already wait; see real-clients.test.ts).
    mesh = await startMesh([["--engine", "echo", "--model", modelDir, "--model-name", MODEL, "--speedup-ratio", "5", "--chat-template", template]], {
      preprocessor: ["--tool-call-parser", "hermes", "--reasoning-parser", "qwen3"],
    });
    openai = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(() => stopAllProcesses());

  const user = (content: string): OpenAI.Chat.ChatCompletionMessageParam[] => [{ role: "system", content: "Be brief." }, { role: "user", content: "ignored" }, { role: "assistant", content: "ok" }, { role: "user", content }];

  it("echoes the last user message exactly, then stops", async () => {
    const text = "Hello, echo! Ünïcödé and emoji 🦀 survive.";
    const r = await openai.chat.completions.create({ model: MODEL, messages: user(text) });
    expect(r.choices[0].message.content).to.equal(text);
    expect(r.choices[0].finish_reason).to.equal("stop");
  });

  it("respects max_tokens and stop strings", async () => {
    const cut = await openai.chat.completions.create({ model: MODEL, messages: user("one two three four five six"), max_tokens: 2 });
    expect(cut.choices[0].finish_reason).to.equal("length");
    expect(cut.usage?.completion_tokens).to.equal(2);
    expect("one two three four five six".startsWith(cut.choices[0].message.content ?? "x")).to.equal(true);
    const stopped = await openai.chat.completions.create({ model: MODEL, messages: user("alpha beta STOP gamma"), stop: ["STOP"] });
    expect(stopped.choices[0].message.content).to.equal("alpha beta ");
    expect(stopped.choices[0].finish_reason).to.equal("stop");
  });

  it("echoes the whole prompt of a completion", async () => {
    const r = await openai.completions.create({ model: MODEL, prompt: "The quick brown fox", max_tokens: 50 });
    expect(r.choices[0].text).to.equal("The quick brown fox");
    expect(r.choices[0].finish_reason).to.equal("stop");
  });

  it("returns message.tool_calls with finish_reason tool_calls (not streamed)", async () => {
    const r = await openai.chat.completions.create({ model: MODEL, messages: user(CALL_TEXT), tools: [WEATHER] });
    const choice = r.choices[0];
    expect(choice.finish_reason).to.equal("tool_calls");
    expect(choice.message.content).to.equal("Let me check.");
    const calls = choice.message.tool_calls ?? [];
    expect(calls).to.have.length(1);
    const call = calls[0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(call.type).to.equal("function");
    expect(call.id).to.match(/^call_/);
    expect(call.function.name).to.equal("get_weather");
    expect(JSON.parse(call.function.arguments)).to.deep.equal(ARGS);
  });

  it("streams tool calls in OpenAI's delta shape: id, type and name first, arguments in pieces", async () => {
    const stream = await openai.chat.completions.create({ model: MODEL, messages: user(CALL_TEXT), tools: [WEATHER], tool_choice: "auto", stream: true });
    const pieces: OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let content = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      content += choice.delta.content ?? "";
      pieces.push(...(choice.delta.tool_calls ?? []));
      finish = choice.finish_reason ?? finish;
    }
    expect(content).to.equal("Let me check.");
    expect(finish).to.equal("tool_calls");
    expect(pieces[0]).to.deep.include({ index: 0, type: "function" });
    expect(pieces[0].id).to.match(/^call_/);
    expect(pieces[0].function?.name).to.equal("get_weather");
    expect(pieces.slice(1).every((p) => p.id === undefined && p.function?.name === undefined)).to.equal(true);
    expect(pieces.length).to.be.greaterThan(3);
    expect(JSON.parse(pieces.map((p) => p.function?.arguments ?? "").join(""))).to.deep.equal(ARGS);
  });

  it("the SDK's stream helper assembles the same tool call", async () => {
    const runner = openai.chat.completions.stream({ model: MODEL, messages: user(CALL_TEXT), tools: [WEATHER] });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0].message.tool_calls?.[0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).to.equal("get_weather");
    expect(JSON.parse(call.function.arguments)).to.deep.equal(ARGS);
  });

  it("tool_choice none leaves the markup as text", async () => {
    const r = await openai.chat.completions.create({ model: MODEL, messages: user(CALL_TEXT), tools: [WEATHER], tool_choice: "none" });
    expect(r.choices[0].message.content).to.equal(CALL_TEXT);
    expect(r.choices[0].message.tool_calls ?? []).to.have.length(0);
    expect(r.choices[0].finish_reason).to.equal("stop");
  });

  it("a tool round trip: the assistant's tool call and the tool result are accepted and rendered", async () => {
    const r = await openai.chat.completions.create({
      model: MODEL, tools: [WEATHER],
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
        { role: "user", content: "It is sunny in Paris." },
      ],
    });
    expect(r.choices[0].message.content).to.equal("It is sunny in Paris.");
    expect(r.choices[0].finish_reason).to.equal("stop");
    // The rendered prompt holds the tool call and result: many more prompt tokens than the turns' text alone.
    expect(r.usage?.prompt_tokens).to.be.greaterThan(60);
  });

  it("splits reasoning_content from the answer, streamed and not", async () => {
    const text = "<think>The user wants a greeting.</think>Hello!";
    const r = await openai.chat.completions.create({ model: MODEL, messages: user(text) });
    const message = r.choices[0].message as OpenAI.Chat.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.reasoning_content).to.equal("The user wants a greeting.");
    expect(message.content).to.equal("Hello!");
    const stream = await openai.chat.completions.create({ model: MODEL, messages: user(text), stream: true });
    let reasoning = "";
    let content = "";
    for await (const chunk of stream) {
      const delta = (chunk.choices[0]?.delta ?? {}) as { content?: string | null; reasoning_content?: string };
      reasoning += delta.reasoning_content ?? "";
      content += delta.content ?? "";
    }
    expect(reasoning).to.equal("The user wants a greeting.");
    expect(content).to.equal("Hello!");
  });

  it("responses.create answers with output_text and usage with cached tokens", async () => {
    const r = await openai.responses.create({ model: MODEL, input: "Hello there, responses.", instructions: "Be brief." });
    expect(r.object).to.equal("response");
    expect(r.status).to.equal("completed");
    expect(r.output_text).to.equal("Hello there, responses.");
    expect(r.usage?.input_tokens).to.be.greaterThan(5);
    expect(r.usage?.output_tokens).to.be.greaterThan(0);
    expect(r.usage?.input_tokens_details.cached_tokens).to.be.a("number");
    expect(r.usage?.total_tokens).to.equal((r.usage?.input_tokens ?? 0) + (r.usage?.output_tokens ?? 0));
  });

  it("responses.create streams the Responses event sequence", async () => {
    const stream = await openai.responses.create({ model: MODEL, input: "Stream me.", stream: true });
    const types: string[] = [];
    let text = "";
    let sequence = -1;
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      expect(event.sequence_number).to.equal(sequence + 1);
      sequence = event.sequence_number;
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.completed") completed = event.response;
    }
    expect(text).to.equal("Stream me.");
    const distinct = types.filter((t, i) => t !== types[i - 1]);
    expect(distinct).to.deep.equal([
      "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
    ]);
    expect(completed?.output_text ?? (completed?.output[0] as OpenAI.Responses.ResponseOutputMessage).content[0]).to.satisfy(
      (v: unknown) => v === "Stream me." || (v as { text?: string }).text === "Stream me.",
    );
  });

  it("responses: a function call (streamed and not) and its output sent back as items", async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }];
    const r = await openai.responses.create({ model: MODEL, input: CALL_TEXT, tools });
    const call = r.output.find((o) => o.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.name).to.equal("get_weather");
    expect(JSON.parse(call.arguments)).to.deep.equal(ARGS);
    expect(r.output_text).to.equal("Let me check.");
    const stream = await openai.responses.create({ model: MODEL, input: CALL_TEXT, tools, stream: true });
    let args = "";
    let done: string | undefined;
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.function_call_arguments.delta") args += event.delta;
      if (event.type === "response.function_call_arguments.done") done = event.arguments;
    }
    expect(JSON.parse(args)).to.deep.equal(ARGS);
    expect(done).to.equal(args);
    expect(types.indexOf("response.function_call_arguments.delta")).to.be.greaterThan(types.indexOf("response.output_text.done"));
    const next = await openai.responses.create({
      model: MODEL, tools,
      input: [
        { role: "user", content: "Weather?" },
        { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: "function_call_output", call_id: call.call_id, output: "sunny" },
        { role: "user", content: [{ type: "input_text", text: "Thanks!" }] },
      ],
    });
    expect(next.output_text).to.equal("Thanks!");
  });

  it("responses: max_output_tokens cuts the answer as incomplete", async () => {
    const r = await openai.responses.create({ model: MODEL, input: "one two three four five six seven", max_output_tokens: 2 });
    expect(r.status).to.equal("incomplete");
    expect(r.incomplete_details?.reason).to.equal("max_output_tokens");
    expect(r.usage?.output_tokens).to.equal(2);
  });

  const rejected: Array<[string, () => Promise<unknown>, string]> = [
    ["responses store: true", () => openai.responses.create({ model: MODEL, input: "x", store: true }), "store"],
    ["responses previous_response_id", () => openai.responses.create({ model: MODEL, input: "x", previous_response_id: "resp_1" }), "previous_response_id"],
    ["chat tool_choice required", () => openai.chat.completions.create({ model: MODEL, messages: user("x"), tools: [WEATHER], tool_choice: "required" }), "tool_choice"],
    ["chat tool_choice naming a function", () => openai.chat.completions.create({ model: MODEL, messages: user("x"), tools: [WEATHER], tool_choice: { type: "function", function: { name: "get_weather" } } }), "tool_choice"],
    ["responses tool_choice required", () => openai.responses.create({ model: MODEL, input: "x", tools: [{ type: "function", name: "f", parameters: {}, strict: false }], tool_choice: "required" }), "tool_choice"],
  ];
  for (const [what, call, param] of rejected) {
    it(`rejects ${what} with 400 unsupported_parameter naming ${param}`, async () => {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      const bad = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect(bad.status).to.equal(400);
      expect(bad.code).to.equal("unsupported_parameter");
      expect(bad.param).to.equal(param);
    });
  }
  it("gRPC Frontend: tool_choice_json auto gives tool-call pieces and reasoning in chunks; required is UNIMPLEMENTED", async () => {
    const proc = await mesh.addService("frontend", ["--http-port", "0"]);
    const client = createClient(FrontendClient, `127.0.0.1:${await proc.waitForListening()}`);
    const request = (content: string, toolChoiceJson?: string): ChatCompletionRequest => ({
      model: MODEL, messages: [{ role: "user", content }], options: { stop: [], ignoreEos: false, logprobs: false },
      toolsJson: JSON.stringify([WEATHER]), ...(toolChoiceJson === undefined ? {} : { toolChoiceJson }),
    });
    const collect = async (stream: ClientReadableStream<CompletionChunk>): Promise<CompletionChunk[]> => {
      const chunks: CompletionChunk[] = [];
      for await (const c of stream as AsyncIterable<CompletionChunk>) chunks.push(c);
      return chunks;
    };
    const chunks = await collect(client.chatCompletion(request(`<think>why</think>${CALL_TEXT}`, '"auto"')));
    expect(chunks.map((c) => c.reasoningText ?? "").join("")).to.equal("why");
    expect(chunks.map((c) => c.text).join("")).to.equal("Let me check.");
    const pieces = chunks.flatMap((c) => c.toolCalls);
    expect(pieces[0]).to.deep.include({ index: 0, name: "get_weather" });
    expect(JSON.parse(pieces.map((p) => p.arguments).join(""))).to.deep.equal(ARGS);
    expect(chunks.at(-1)?.finishReason).to.equal("tool_calls");
    const err = await collect(client.chatCompletion(request("x", '"required"'))).then(() => undefined, (e: unknown) => e as ServiceError);
    expect(err?.code).to.equal(Code.UNIMPLEMENTED);
    client.close();
  });

  it("store: false is accepted (stateless)", async () => {
    const r = await openai.responses.create({ model: MODEL, input: "fine", store: false });
    expect(r.output_text).to.equal("fine");
  });
});
