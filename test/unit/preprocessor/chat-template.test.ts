// Chat rendering with @huggingface/jinja: roles, content parts, tools and tool messages,
// add_generation_prompt, chat_template_kwargs, bos/eos, template precedence and the errors.
import { expect } from "chai";
import { FailedPreconditionError, InvalidArgumentError, UnsupportedParameterError } from "#common/errors.js";
import type { ChatMessage, ChatPrompt } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { ChatRenderer } from "../../../services/preprocessor/src/chat-template/chat-renderer.js";
import type { TemplateCandidates } from "../../../services/preprocessor/src/chat-template/template-source.js";
import { loadTemplateOverride } from "../../../services/preprocessor/src/chat-template/template-source.js";

const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const LLAMA2 =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";
const TOOLS =
  "{% if tools %}Tools:{% for t in tools %} {{ t.function.name }}{% endfor %}{{ '\\n' }}{% endif %}" +
  "{% for m in messages %}{{ m.role }}:{% if m.tool_calls %}{% for c in m.tool_calls %}call {{ c.function.name }}({{ c.function.arguments.city }}){% endfor %}" +
  "{% else %}{{ m.content }}{% endif %}{% if m.tool_call_id %}[{{ m.tool_call_id }}]{% endif %}{{ '\\n' }}{% endfor %}";
const KWARGS = "{% if enable_thinking %}<think>{% endif %}{{ messages[0].content }}{% if add_generation_prompt %}>{% endif %}";

const msg = (role: string, content: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({ role, content, ...extra });
const chat = (messages: ChatMessage[], extra: Partial<ChatPrompt> = {}): ChatPrompt => ({ messages, ...extra });
const renderer = (candidates: TemplateCandidates): ChatRenderer => new ChatRenderer({ model: "m", candidates, bosToken: "<s>", eosToken: "</s>" });

interface Case {
  name: string;
  template: string;
  prompt: ChatPrompt;
  expected: string;
}

const WEATHER_TOOL = JSON.stringify([{ type: "function", function: { name: "get_weather", parameters: {} } }]);
const TOOL_CALL = JSON.stringify([{ id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);

const CASES: Case[] = [
  {
    name: "system/user/assistant with the generation prompt (default true)",
    template: CHATML,
    prompt: chat([msg("system", "Be brief."), msg("user", "Hi"), msg("assistant", "Hello"), msg("user", "Bye")]),
    expected: "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
  },
  {
    name: "add_generation_prompt false",
    template: CHATML,
    prompt: chat([msg("user", "Hi")], { addGenerationPrompt: false }),
    expected: "<|im_start|>user\nHi<|im_end|>\n",
  },
  {
    name: "text content parts are joined",
    template: CHATML,
    prompt: chat([{ role: "user", contentPartsJson: JSON.stringify([{ type: "text", text: "one" }, { type: "text", text: "two" }]) }], { addGenerationPrompt: false }),
    expected: "<|im_start|>user\none\ntwo<|im_end|>\n",
  },
  {
    name: "bos_token and eos_token from the tokenizer config",
    template: LLAMA2,
    prompt: chat([msg("user", "Hi"), msg("assistant", "Yo"), msg("user", "Again")]),
    expected: "<s>[INST] Hi [/INST]Yo</s>[INST] Again [/INST]",
  },
  {
    name: "tools, an assistant tool call (arguments as an object) and a tool message",
    template: TOOLS,
    prompt: chat([msg("user", "Weather?"), { role: "assistant", toolCallsJson: TOOL_CALL }, msg("tool", "sunny", { toolCallId: "c1" })], { toolsJson: WEATHER_TOOL }),
    expected: "Tools: get_weather\nuser:Weather?\nassistant:call get_weather(Paris)\ntool:sunny[c1]\n",
  },
  {
    name: "tojson of tools and tool-call arguments (Qwen/Hermes style)",
    template: "{%- for t in tools %}<tool>{{ t | tojson }}</tool>{% endfor %}{%- for m in messages %}{%- for c in m.tool_calls or [] %}<call>{{ c.function.arguments | tojson }}</call>{% endfor %}{% endfor %}",
    prompt: chat([msg("user", "Weather?"), { role: "assistant", toolCallsJson: TOOL_CALL }], { toolsJson: WEATHER_TOOL }),
    expected: '<tool>{"type": "function", "function": {"name": "get_weather", "parameters": {}}}</tool><call>{"city": "Paris"}</call>',
  },
  {
    name: "no tools: the template's tools branch is skipped",
    template: TOOLS,
    prompt: chat([msg("user", "Hi")]),
    expected: "user:Hi\n",
  },
  {
    name: "chat_template_kwargs reach the template",
    template: KWARGS,
    prompt: chat([msg("user", "q")], { chatTemplateKwargsJson: '{"enable_thinking":true}' }),
    expected: "<think>q>",
  },
];

describe("preprocessor chat templates", () => {
  for (const c of CASES) {
    it(c.name, () => {
      expect(renderer({ card: c.template }).render(c.prompt)).to.equal(c.expected);
    });
  }

  const ERRORS: Array<{ name: string; candidates: TemplateCandidates; prompt: ChatPrompt; type: new (...args: never[]) => Error; message: RegExp }> = [
    { name: "no template at all", candidates: {}, prompt: chat([msg("user", "Hi")]), type: FailedPreconditionError, message: /model "m" has no chat template.*--chat-template/ },
    { name: "an image part", candidates: { card: CHATML }, prompt: chat([{ role: "user", contentPartsJson: '[{"type":"image_url","image_url":{"url":"x"}}]' }]), type: UnsupportedParameterError, message: /image_url/ },
    { name: "malformed content parts", candidates: { card: CHATML }, prompt: chat([{ role: "user", contentPartsJson: "[{" }]), type: InvalidArgumentError, message: /not valid JSON/ },
    { name: "tools not an array", candidates: { card: TOOLS }, prompt: chat([msg("user", "Hi")], { toolsJson: "{}" }), type: InvalidArgumentError, message: /tools must be a JSON array/ },
    { name: "kwargs not an object", candidates: { card: KWARGS }, prompt: chat([msg("user", "Hi")], { chatTemplateKwargsJson: "[1]" }), type: InvalidArgumentError, message: /chat_template_kwargs/ },
    { name: "raise_exception in the template", candidates: { card: LLAMA2 }, prompt: chat([msg("assistant", "first")]), type: InvalidArgumentError, message: /roles must alternate/ },
    { name: "no messages", candidates: { card: CHATML }, prompt: chat([]), type: InvalidArgumentError, message: /messages must not be empty/ },
    { name: "a template that does not parse", candidates: { card: "{% for %}" }, prompt: chat([msg("user", "Hi")]), type: FailedPreconditionError, message: /does not parse/ },
  ];
  for (const e of ERRORS) {
    it(`rejects: ${e.name}`, () => {
      expect(() => renderer(e.candidates).render(e.prompt)).to.throw(e.type, e.message);
    });
  }

  const PRECEDENCE: Array<{ name: string; candidates: TemplateCandidates; tools?: string; expected: string }> = [
    { name: "--chat-template override beats the card", candidates: { override: { template: "O{{ messages[0].content }}", origin: "test" }, card: "C", tokenizerConfig: "T" }, expected: "Ohi" },
    { name: "the card beats tokenizer_config", candidates: { card: "C{{ messages[0].content }}", tokenizerConfig: "T" }, expected: "Chi" },
    { name: "tokenizer_config string", candidates: { tokenizerConfig: "T{{ messages[0].content }}" }, expected: "Thi" },
    { name: "tokenizer_config named list: default", candidates: { tokenizerConfig: [{ name: "tool_use", template: "U" }, { name: "default", template: "D" }] }, expected: "D" },
    { name: "tokenizer_config named list: tool_use with tools", candidates: { tokenizerConfig: [{ name: "tool_use", template: "U" }, { name: "default", template: "D" }] }, tools: WEATHER_TOOL, expected: "U" },
  ];
  for (const p of PRECEDENCE) {
    it(`picks the template: ${p.name}`, () => {
      expect(renderer(p.candidates).render(chat([msg("user", "hi")], { toolsJson: p.tools }))).to.equal(p.expected);
    });
  }

  it("--chat-template takes inline templates and rejects a value that is neither file nor template", () => {
    expect(loadTemplateOverride("{{ messages }}").template).to.equal("{{ messages }}");
    expect(() => loadTemplateOverride("/no/such/template.jinja")).to.throw(/neither a readable file nor a Jinja template/);
  });
});
