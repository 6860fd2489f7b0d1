import { expect } from "chai";
import type { ToolCallDelta } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { createToolCallParser } from "../../../services/preprocessor/src/parsers/structured-output.js";
import type { ToolCallParserName } from "../../../services/preprocessor/src/parsers/tool-call-parser.js";

/** Feeds `text` in pieces of `size` characters and joins what comes out. */
function run(name: ToolCallParserName, text: string, size: number): { content: string; calls: Array<{ name: string; args: unknown; id: string }>; deltas: ToolCallDelta[] } {
  const parser = createToolCallParser(name);
  let content = "";
  const deltas: ToolCallDelta[] = [];
  for (let i = 0; i < text.length; i += size) {
    const out = parser.push(text.slice(i, i + size));
    content += out.content;
    deltas.push(...out.calls);
  }
  const tail = parser.flush();
  content += tail.content;
  deltas.push(...tail.calls);
  const calls: Array<{ name: string; argsText: string; id: string }> = [];
  for (const d of deltas) {
    if (d.id !== "") {
      expect(calls[d.index], `call ${d.index} opened twice`).to.equal(undefined);
      expect(d.index, "indexes are contiguous").to.equal(calls.length);
      calls[d.index] = { name: d.name, argsText: "", id: d.id };
    } else {
      expect(d.name, "only the first piece names the function").to.equal("");
    }
    expect(calls[d.index], `a piece of call ${d.index} before its id`).to.not.equal(undefined);
    calls[d.index].argsText += d.arguments;
  }
  return { content, deltas, calls: calls.map((c) => ({ name: c.name, id: c.id, args: JSON.parse(c.argsText) as unknown })) };
}

const SIZES = [1, 2, 3, 5, 13, 10_000];

interface Case {
  parser: ToolCallParserName;
  what: string;
  text: string;
  content: string;
  calls: Array<{ name: string; args: unknown }>;
}

const WEATHER_ARGS = { city: "Paris", unit: "celsius", days: [1, 2], note: "a \"quoted\" } brace" };

const CASES: Case[] = [
  {
    parser: "hermes", what: "text before and after one call",
    text: `Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": ${JSON.stringify(WEATHER_ARGS)}}\n</tool_call>\nDone.`,
    content: "Let me check.\nDone.", calls: [{ name: "get_weather", args: WEATHER_ARGS }],
  },
  {
    parser: "hermes", what: "two calls (Qwen's parallel calls), no text",
    text: '<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>\n<tool_call>\n{"name": "b", "arguments": {}}\n</tool_call>',
    content: "", calls: [{ name: "a", args: { x: 1 } }, { name: "b", args: {} }],
  },
  {
    parser: "hermes", what: "arguments before the name (emitted whole)",
    text: '<tool_call>{"arguments": {"q": "x"}, "name": "search"}</tool_call>',
    content: "", calls: [{ name: "search", args: { q: "x" } }],
  },
  {
    parser: "hermes", what: "a block that is not JSON (left as text)",
    text: "a <tool_call>not json</tool_call> b",
    content: "a <tool_call>not json</tool_call> b", calls: [],
  },
  {
    parser: "hermes", what: "text that only looks like the start of a tag",
    text: "x < y and <tool and <tool_cal", content: "x < y and <tool and <tool_cal", calls: [],
  },
  {
    parser: "hermes", what: "a call whose end tag never comes (stream cut after the object)",
    text: 'ok <tool_call>{"name": "f", "arguments": {"k": "v"}}', content: "ok ", calls: [{ name: "f", args: { k: "v" } }],
  },
  {
    parser: "llama3-json", what: "one call with parameters",
    text: '{"name": "get_weather", "parameters": {"city": "Paris"}}', content: "", calls: [{ name: "get_weather", args: { city: "Paris" } }],
  },
  {
    parser: "llama3-json", what: "python_tag and two calls separated by ;",
    text: '<|python_tag|>{"name": "a", "parameters": {"n": 1}}; {"name": "b", "parameters": {"n": 2}}',
    content: "", calls: [{ name: "a", args: { n: 1 } }, { name: "b", args: { n: 2 } }],
  },
  {
    parser: "llama3-json", what: "a plain answer", text: "  The weather is {fine}.", content: "  The weather is {fine}.", calls: [],
  },
  {
    parser: "mistral", what: "text then [TOOL_CALLS] with two calls",
    text: 'Sure. [TOOL_CALLS] [{"name": "a", "arguments": {"x": [1, {"y": 2}]}}, {"name": "b", "arguments": {}}]',
    content: "Sure. ", calls: [{ name: "a", args: { x: [1, { y: 2 }] } }, { name: "b", args: {} }],
  },
  {
    parser: "mistral", what: "a plain answer with brackets", text: "[1, 2] and [TOOL] text", content: "[1, 2] and [TOOL] text", calls: [],
  },
];

describe("preprocessor: tool-call parsers", () => {
  for (const c of CASES) {
    for (const size of SIZES) {
      it(`${c.parser}: ${c.what}, in pieces of ${size}`, () => {
        const got = run(c.parser, c.text, size);
        expect(got.content).to.equal(c.content);
        expect(got.calls.map(({ name, args }) => ({ name, args }))).to.deep.equal(c.calls);
        for (const call of got.calls) expect(call.id).to.match(/^call_[0-9a-f]{24}$/);
      });
    }
  }

  it("hermes streams the arguments in many pieces, id and name first", () => {
    const text = `<tool_call>{"name": "get_weather", "arguments": ${JSON.stringify(WEATHER_ARGS)}}</tool_call>`;
    const { deltas } = run("hermes", text, 1);
    expect(deltas[0]).to.deep.include({ index: 0, name: "get_weather", arguments: "" });
    expect(deltas.length).to.be.greaterThan(20);
    // The closing brace of the call object and the end tag never leak into the arguments.
    expect(deltas.map((d) => d.arguments).join("")).to.equal(JSON.stringify(WEATHER_ARGS));
  });

  it("hermes holds back text that may start a tag, and releases it when it does not", () => {
    const parser = createToolCallParser("hermes");
    expect(parser.push("Hi <tool_").content).to.equal("Hi ");
    expect(parser.push("box>").content).to.equal("<tool_box>");
  });
});
