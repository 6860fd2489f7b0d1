// The npm clients applications use, unmodified, against a live mesh on the echo engine (it
// answers with the last user turn, so a user message holding hermes `<tool_call>` markup comes
// back as a tool call, and a tool result comes back as the final text): the Vercel AI SDK's
// default `openai("m")` (Responses API) and `openai.chat("m")`, streamed and not, with a tool
// call round trip; LangChain's ChatOpenAI `bindTools` loop, over chat completions and over the
// Responses API.
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOpenAI } from "@ai-sdk/openai";
import type { OpenAIProvider } from "@ai-sdk/openai";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import type { BaseMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { generateText, stepCountIs, streamText, tool } from "ai";
import type { LanguageModel } from "ai";
import { z } from "zod";
import { writeTinyModel } from "#models/tiny/create-tiny.js";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { repoRoot } from "../support/stories-model.js";

const MODEL = "echo";
const ARGS = { city: "Paris" };
/** What the "model" says when asked to call the tool: text, then one hermes tool call. */
const CALL_TEXT = `Let me check.<tool_call>\n{"name": "get_weather", "arguments": ${JSON.stringify(ARGS)}}\n</tool_call>`;
const FORECAST = "sunny, 24 degrees";

describe("real clients against a live mesh on the echo engine: AI SDK and LangChain", function () {
  this.timeout(120_000);
  let mesh: Mesh;
  let provider: OpenAIProvider;

  before(async () => {
    const modelDir = writeTinyModel(mkdtempSync(join(tmpdir(), "kvmesh-echo-model-")));
    const template = join(repoRoot, "test/fixtures/templates/chatml-tools.jinja");
    // Speedup 5: a decode step takes ~1.1 ms, so tokens come one timer tick apart and a
    // streamed answer arrives in pieces. At 50 the mocker ran ~9 steps per tick, and the mesh
    // joins tokens that already wait into one message: a short answer could come as one piece.
    mesh = await startMesh([["--engine", "echo", "--model", modelDir, "--model-name", MODEL, "--speedup-ratio", "5", "--chat-template", template]], {
      preprocessor: ["--tool-call-parser", "hermes", "--reasoning-parser", "qwen3"],
    });
    provider = createOpenAI({ baseURL: `${mesh.url}/v1`, apiKey: "dummy" });
  });
  after(() => stopAllProcesses());

  /** The AI SDK tool whose calls are counted, with the arguments each call got. */
  const weatherTool = (seen: unknown[]) => tool({
    description: "The weather in a city",
    inputSchema: z.object({ city: z.string() }),
    execute: async (input) => {
      seen.push(input);
      return FORECAST;
    },
  });

  // The Responses provider refers to earlier output items by id (item_reference) unless
  // store is false: kvmesh stores nothing, so multi-step loops say store: false (see below).
  const STATELESS = { openai: { store: false } };
  const sdkModels: Array<[string, () => LanguageModel, Record<string, Record<string, boolean>>]> = [
    ["openai(\"m\") (Responses API)", () => provider(MODEL), STATELESS],
    ["openai.chat(\"m\")", () => provider.chat(MODEL), {}],
  ];
  for (const [name, model, providerOptions] of sdkModels) {
    describe(`AI SDK ${name}`, () => {
      it("generateText returns the exact text with usage", async () => {
        const r = await generateText({ model: model(), prompt: "Hello from the AI SDK.", maxRetries: 0 });
        expect(r.text).to.equal("Hello from the AI SDK.");
        expect(r.finishReason).to.equal("stop");
        expect(r.usage.outputTokens).to.be.greaterThan(0);
        expect(r.usage.inputTokens).to.be.greaterThan(0);
      });

      it("streamText streams the exact text in several pieces", async () => {
        const r = streamText({ model: model(), prompt: "Streaming through the AI SDK works.", maxRetries: 0 });
        const pieces: string[] = [];
        for await (const piece of r.textStream) pieces.push(piece);
        expect(pieces.join("")).to.equal("Streaming through the AI SDK works.");
        expect(pieces.length).to.be.greaterThan(1);
        expect(await r.finishReason).to.equal("stop");
      });

      it("generateText: a tool call round trip, the tool's result comes back as the final text", async () => {
        const seen: unknown[] = [];
        const r = await generateText({ model: model(), prompt: CALL_TEXT, tools: { get_weather: weatherTool(seen) }, stopWhen: stepCountIs(3), maxRetries: 0, providerOptions });
        expect(seen).to.deep.equal([ARGS]);
        expect(r.steps).to.have.length(2);
        expect(r.steps[0].finishReason).to.equal("tool-calls");
        expect(r.steps[0].toolCalls.map((c) => [c.toolName, c.input])).to.deep.equal([["get_weather", ARGS]]);
        expect(r.steps[0].text).to.equal("Let me check.");
        // Step 2's last user turn is the rendered tool result: the echo answers with it.
        expect(r.text).to.include(FORECAST);
        expect(r.finishReason).to.equal("stop");
      });

      it("streamText: the same round trip, streamed", async () => {
        const seen: unknown[] = [];
        const r = streamText({ model: model(), prompt: CALL_TEXT, tools: { get_weather: weatherTool(seen) }, stopWhen: stepCountIs(3), maxRetries: 0, providerOptions });
        const types = new Set<string>();
        for await (const part of r.fullStream) types.add(part.type);
        expect(seen).to.deep.equal([ARGS]);
        expect(types.has("tool-call")).to.equal(true);
        expect(types.has("tool-result")).to.equal(true);
        expect(await r.text).to.include(FORECAST);
        expect(await r.finishReason).to.equal("stop");
      });
    });
  }

  it("AI SDK openai(\"m\") with the default store: a second step's item_reference is a clean 400 naming it (nothing is stored)", async () => {
    let error: { statusCode?: number; responseBody?: string } | undefined;
    try {
      await generateText({ model: provider(MODEL), prompt: CALL_TEXT, tools: { get_weather: weatherTool([]) }, stopWhen: stepCountIs(3), maxRetries: 0 });
    } catch (err) {
      error = err as typeof error;
    }
    expect(error?.statusCode).to.equal(400);
    expect(JSON.parse(error?.responseBody ?? "{}").error).to.deep.include({ type: "invalid_request_error" });
    expect(JSON.parse(error?.responseBody ?? "{}").error.param).to.match(/^input\[\d+\]\.type$/);
  });

  // An OpenAI-format tool definition (bindTools takes those as well as LangChain tools).
  const weather = { type: "function" as const, function: { name: "get_weather", description: "The weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };
  const runWeather = (args: Record<string, unknown>): string => `${FORECAST} in ${String(args.city)}`;
  for (const useResponsesApi of [false, true]) {
    it(`LangChain ChatOpenAI.bindTools loop${useResponsesApi ? " over the Responses API" : ""}: tool call, ToolMessage, final text`, async () => {
      const chat = new ChatOpenAI({ model: MODEL, apiKey: "dummy", configuration: { baseURL: `${mesh.url}/v1` }, maxRetries: 0, useResponsesApi });
      const agent = chat.bindTools([weather]);
      const messages: BaseMessage[] = [new HumanMessage(CALL_TEXT)];
      const first = await agent.invoke(messages);
      expect(first.tool_calls?.map((c) => [c.name, c.args])).to.deep.equal([["get_weather", ARGS]]);
      messages.push(first);
      for (const call of first.tool_calls ?? []) messages.push(new ToolMessage({ tool_call_id: call.id!, content: runWeather(call.args) }));
      const final = await agent.invoke(messages);
      expect(final).to.be.instanceOf(AIMessage);
      expect(final.tool_calls ?? []).to.have.length(0);
      expect(final.text).to.include(`${FORECAST} in Paris`);
    });
  }

  it("LangChain streams the exact text", async () => {
    const chat = new ChatOpenAI({ model: MODEL, apiKey: "dummy", configuration: { baseURL: `${mesh.url}/v1` }, maxRetries: 0 });
    let text = "";
    let chunks = 0;
    for await (const chunk of await chat.stream("LangChain streaming works.")) {
      text += chunk.text;
      chunks++;
    }
    expect(text).to.equal("LangChain streaming works.");
    expect(chunks).to.be.greaterThan(1);
  });
});
