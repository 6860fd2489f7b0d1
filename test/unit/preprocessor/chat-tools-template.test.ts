// Tool calls and tool results reach the chat template as Hugging Face's apply_chat_template
// passes them (tools, assistant tool_calls with arguments as objects, tool messages with
// tool_call_id), rendered by a Qwen-style ChatML template.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ChatRenderer } from "../../../services/preprocessor/src/chat-template/chat-renderer.js";
import { repoRoot } from "../../support/stories-model.js";

const TEMPLATE = readFileSync(join(repoRoot, "test/fixtures/templates/chatml-tools.jinja"), "utf8");
const WEATHER = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };

describe("preprocessor: tools, tool calls and tool results through the chat template", () => {
  const renderer = new ChatRenderer({ model: "m", candidates: { card: TEMPLATE } });

  it("renders the tools, the assistant's tool call and the tool result", () => {
    const text = renderer.render({
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: "", toolCallsJson: JSON.stringify([{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]) },
        { role: "tool", toolCallId: "call_1", content: "18 degrees and sunny" },
      ],
      toolsJson: JSON.stringify([WEATHER]),
    });
    expect(text).to.include('"name": "get_weather"');
    expect(text).to.include('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>');
    expect(text).to.include("<tool_response>\n18 degrees and sunny\n</tool_response>");
    expect(text.endsWith("<|im_start|>assistant\n")).to.equal(true);
  });

  it("leaves the tools section out when no tools are given", () => {
    const text = renderer.render({ messages: [{ role: "user", content: "hi" }] });
    expect(text).to.equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  });
});
