import { expect } from "chai";
import { ReasoningParser } from "../../../services/preprocessor/src/parsers/reasoning-parser.js";
import type { ReasoningParserName } from "../../../services/preprocessor/src/parsers/reasoning-parser.js";
import { StructuredOutput } from "../../../services/preprocessor/src/parsers/structured-output.js";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";

function split(kind: ReasoningParserName, text: string, size: number): { reasoning: string; content: string } {
  const parser = new ReasoningParser(kind);
  const out = { reasoning: "", content: "" };
  for (let i = 0; i < text.length; i += size) {
    const o = parser.push(text.slice(i, i + size));
    out.reasoning += o.reasoning;
    out.content += o.content;
  }
  const o = parser.flush();
  return { reasoning: out.reasoning + o.reasoning, content: out.content + o.content };
}

const CASES: Array<[ReasoningParserName, string, string, string, string]> = [
  ["qwen3", "think then answer", "<think>\nLet me see.\n</think>\n\nParis.", "\nLet me see.\n", "\n\nParis."],
  ["qwen3", "no think block: all content", "Paris.", "", "Paris."],
  ["qwen3", "a think tag later is content", "Hi <think>x</think>", "", "Hi <think>x</think>"],
  ["qwen3", "reasoning cut by max_tokens", "<think>still thinking", "still thinking", ""],
  ["qwen3", "an answer that starts like the tag", "<thin ice", "", "<thin ice"],
  ["deepseek-r1", "no opening tag (the template opened it)", "Hmm, 2+2.</think>4", "Hmm, 2+2.", "4"],
  ["deepseek-r1", "an opening tag generated anyway", "<think>Hmm.</think>4", "Hmm.", "4"],
  ["deepseek-r1", "never closed: all reasoning", "Hmm", "Hmm", ""],
];

describe("preprocessor: reasoning parsers", () => {
  for (const [kind, what, text, reasoning, content] of CASES) {
    for (const size of [1, 2, 4, 100]) {
      it(`${kind}: ${what}, in pieces of ${size}`, () => {
        expect(split(kind, text, size)).to.deep.equal({ reasoning, content });
      });
    }
  }

  it("composes with the tool parser: a call after the reasoning becomes a tool call", () => {
    const chain = new StructuredOutput({ reasoning: "qwen3", tools: "hermes" });
    const text = '<think>I should call it.</think>\n<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>';
    let reasoning = "";
    let content = "";
    let args = "";
    const names: string[] = [];
    for (let i = 0; i < text.length; i += 3) {
      const last = i + 3 >= text.length;
      const r: PreprocessResponse = { text: text.slice(i, i + 3), tokenIds: [], logprobs: [], workerId: "", migrations: 0, toolCalls: [] };
      chain.apply(r, last);
      reasoning += r.reasoningText ?? "";
      content += r.text;
      for (const c of r.toolCalls) {
        if (c.name !== "") names.push(c.name);
        args += c.arguments;
      }
    }
    expect(reasoning).to.equal("I should call it.");
    expect(content).to.equal("\n");
    expect(names).to.deep.equal(["f"]);
    expect(JSON.parse(args)).to.deep.equal({ a: 1 });
  });

  it("a tool call inside the reasoning stays reasoning", () => {
    const chain = new StructuredOutput({ reasoning: "qwen3", tools: "hermes" });
    const r: PreprocessResponse = { text: '<think><tool_call>{"name": "f", "arguments": {}}</tool_call></think>ok', tokenIds: [], logprobs: [], workerId: "", migrations: 0, toolCalls: [] };
    chain.apply(r, true);
    expect(r.toolCalls).to.deep.equal([]);
    expect(r.reasoningText).to.equal('<tool_call>{"name": "f", "arguments": {}}</tool_call>');
    expect(r.text).to.equal("ok");
  });
});
