// vLLM's request conveniences over a real mesh (onnx worker on stories260K): logit_bias steers
// greedy decoding and is range-checked against the vocabulary by the worker,
// stream_options.continuous_usage_stats puts the running usage on every chunk, no-op values
// change nothing, a too-long completion prompt names `prompt`, and every parameter the table
// marks unsupported is a 400 naming it.
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Tokenizer } from "@huggingface/tokenizers";
import { OPENAI_PARAMS } from "../../services/frontend/src/openai/params.js";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { loadStoriesTokenizer, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";

const VOCAB = 512; // stories260K's vocab_size
const TEMPLATE = "{% for m in messages %}{{ m['content'] }}{% endfor %}";

interface Choice { text?: string; delta?: { content?: string }; message?: { content: string }; finish_reason: string | null }
interface Usage { prompt_tokens: number; completion_tokens: number; total_tokens: number }
interface Answer { choices: Choice[]; usage?: Usage | null; error?: { type: string; code: string | null; param: string | null; message: string } }

describe("vLLM request conveniences over a real mesh (stories260K)", function () {
  this.timeout(120_000);
  let mesh: Mesh;
  let tokenizer: Tokenizer;

  const post = async (path: string, body: object): Promise<{ status: number; json: Answer }> => {
    const res = await fetch(`${mesh.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Answer };
  };
  /** The `data:` events of a streamed answer, [DONE] left out. */
  const events = async (path: string, body: object): Promise<Answer[]> => {
    const res = await fetch(`${mesh.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...body, stream: true }) });
    expect(res.status).to.equal(200);
    const lines = (await res.text()).split("\n\n").filter((e) => e.startsWith("data: ") && e !== "data: [DONE]");
    return lines.map((e) => JSON.parse(e.slice("data: ".length)) as Answer);
  };
  const completion = (extra: object): object => ({ model: "stories260K", prompt: "Once upon a time", max_tokens: 6, temperature: 0, ...extra });

  before(async function () {
    requireStoriesModel(this);
    tokenizer = loadStoriesTokenizer();
    const template = join(mkdtempSync(join(tmpdir(), "kvmesh-tpl-")), "template.jinja");
    writeFileSync(template, TEMPLATE);
    mesh = await startMesh([
      ["--model", storiesModelDir],
      ["--model", storiesModelDir, "--model-name", "stories-chat", "--chat-template", template],
    ]);
  });
  after(() => stopAllProcesses());

  describe("logit_bias", () => {
    // Token 400 is not what greedy decoding picks after "Once upon a time" (checked below).
    const FORCED = 400;
    const forcedText = (n: number): string => tokenizer.decode(new Array<number>(n).fill(FORCED), { skip_special_tokens: true });

    it("+100 on one token makes greedy output that token, on completions and chat", async () => {
      const plain = await post("/v1/completions", completion({}));
      expect(plain.status, JSON.stringify(plain.json)).to.equal(200);
      expect(plain.json.choices[0].text!.trim()).to.not.equal(forcedText(6).trim());
      const biased = await post("/v1/completions", completion({ logit_bias: { [FORCED]: 100 } }));
      expect(biased.status, JSON.stringify(biased.json)).to.equal(200);
      expect(biased.json.choices[0].text!.trim()).to.equal(forcedText(6).trim());
      expect(biased.json.usage?.completion_tokens).to.equal(6);
      const chat = await post("/v1/chat/completions", { model: "stories-chat", messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 3, temperature: 0, logit_bias: { [FORCED]: 100 } });
      expect(chat.status, JSON.stringify(chat.json)).to.equal(200);
      expect(chat.json.choices[0].message!.content.trim()).to.equal(forcedText(3).trim());
    });

    it("-100 on greedy's first choice makes it choose another token", async () => {
      const first = tokenizer.encode(`Once upon a time${(await post("/v1/completions", completion({ max_tokens: 1 }))).json.choices[0].text}`).ids.at(-1)!;
      const banned = await post("/v1/completions", completion({ max_tokens: 1, logit_bias: { [first]: -100 } }));
      expect(banned.status).to.equal(200);
      const second = tokenizer.encode(`Once upon a time${banned.json.choices[0].text}`).ids.at(-1);
      expect(second).to.not.equal(first);
    });

    it("takes the last token id of the vocabulary and answers one past it with 400 naming logit_bias", async () => {
      const last = await post("/v1/completions", completion({ max_tokens: 1, logit_bias: { [VOCAB - 1]: 1 } }));
      expect(last.status, JSON.stringify(last.json)).to.equal(200);
      const past = await post("/v1/completions", completion({ logit_bias: { [VOCAB]: 1 } }));
      expect(past.status, JSON.stringify(past.json)).to.equal(400);
      expect(past.json.error).to.deep.include({ type: "invalid_request_error", param: "logit_bias" });
      expect(past.json.error!.message).to.include(`[0, ${VOCAB})`);
      const big = await post("/v1/completions", completion({ logit_bias: { 0: 101 } }));
      expect([big.status, big.json.error?.param]).to.deep.equal([400, "logit_bias"]);
    });
  });

  describe("stream_options", () => {
    it("continuous_usage_stats puts the running usage on every chunk; include_usage still adds the usage chunk", async () => {
      const promptTokens = tokenizer.encode("Once upon a time").ids.length;
      const chunks = await events("/v1/completions", completion({ max_tokens: 8, ignore_eos: true, stream_options: { include_usage: true, continuous_usage_stats: true } }));
      const content = chunks.filter((c) => c.choices.length > 0);
      expect(content.length).to.be.greaterThan(1);
      let before = 0;
      for (const c of content) {
        expect(c.usage, JSON.stringify(c)).to.be.an("object");
        expect(c.usage!.prompt_tokens).to.equal(promptTokens);
        expect(c.usage!.completion_tokens).to.be.at.least(before);
        expect(c.usage!.total_tokens).to.equal(c.usage!.prompt_tokens + c.usage!.completion_tokens);
        before = c.usage!.completion_tokens;
      }
      expect(content.at(-1)!.usage!.completion_tokens).to.equal(8);
      const tail = chunks.at(-1)!;
      expect(tail.choices).to.deep.equal([]);
      expect(tail.usage).to.deep.include({ prompt_tokens: promptTokens, completion_tokens: 8 });
    });

    it("continuous_usage_stats alone: usage on every chunk and no usage-only chunk; neither: no usage anywhere", async () => {
      const alone = await events("/v1/chat/completions", { model: "stories-chat", messages: [{ role: "user", content: "Hi" }], max_tokens: 4, ignore_eos: true, stream_options: { continuous_usage_stats: true } });
      expect(alone.every((c) => c.choices.length === 1 && c.usage?.prompt_tokens !== undefined)).to.equal(true);
      const off = await events("/v1/chat/completions", { model: "stories-chat", messages: [{ role: "user", content: "Hi" }], max_tokens: 4, ignore_eos: true, stream_options: { include_usage: false, continuous_usage_stats: false } });
      expect(off.every((c) => c.usage === undefined)).to.equal(true);
    });

    it("an unknown stream_options key is a 400 naming it", async () => {
      const res = await post("/v1/completions", completion({ stream: true, stream_options: { include_usage: true, continuous_usage: true } }));
      expect(res.status).to.equal(400);
      expect(res.json.error).to.deep.include({ type: "invalid_request_error", param: "stream_options.continuous_usage" });
    });
  });

  it("accepts the no-op values (echo false, best_of 1, n 1, response_format text) with the same answer", async () => {
    const plain = await post("/v1/completions", completion({}));
    const noop = await post("/v1/completions", completion({ echo: false, best_of: 1, n: 1 }));
    expect(noop.status, JSON.stringify(noop.json)).to.equal(200);
    expect(noop.json.choices[0].text).to.equal(plain.json.choices[0].text);
    const chat = { model: "stories-chat", messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 4, temperature: 0 };
    const text = await post("/v1/chat/completions", { ...chat, response_format: { type: "text" }, n: 1 });
    expect(text.status, JSON.stringify(text.json)).to.equal(200);
    expect(text.json.choices[0].message!.content).to.equal((await post("/v1/chat/completions", chat)).json.choices[0].message!.content);
  });

  const REJECTED: Array<[string, string, object, string]> = [
    ["echo true", "/v1/completions", { echo: true }, "echo"],
    ["best_of 2", "/v1/completions", { best_of: 2 }, "best_of"],
    ["n 2", "/v1/completions", { n: 2 }, "n"],
    ["response_format json_object", "/v1/chat/completions", { response_format: { type: "json_object" } }, "response_format"],
  ];
  for (const [what, path, extra, param] of REJECTED) {
    it(`rejects ${what} with 400 unsupported_parameter naming ${param}`, async () => {
      const base = path === "/v1/completions" ? completion({}) : { model: "stories-chat", messages: [{ role: "user", content: "x" }] };
      const res = await post(path, { ...base, ...extra });
      expect(res.status).to.equal(400);
      expect(res.json.error).to.deep.include({ code: "unsupported_parameter", param });
    });
  }

  it("names `prompt` (not `messages`) when a completion prompt is over the context length, as text or token ids", async () => {
    for (const prompt of ["the end ".repeat(400), new Array(600).fill(300), [new Array(513).fill(300)]]) {
      const res = await post("/v1/completions", { model: "stories260K", prompt });
      expect(res.status, JSON.stringify(res.json)).to.equal(400);
      expect(res.json.error).to.deep.include({ code: "context_length_exceeded", param: "prompt" });
    }
    const chat = await post("/v1/chat/completions", { model: "stories-chat", messages: [{ role: "user", content: "the end ".repeat(400) }] });
    expect(chat.json.error).to.deep.include({ code: "context_length_exceeded", param: "messages" });
  });

  // Every row of the README's parameter table marked unsupported, on every endpoint it names:
  // nothing is accepted and ignored.
  for (const row of OPENAI_PARAMS.filter((p) => p.support === "unsupported")) {
    for (const endpoint of row.endpoints) {
      it(`rejects the unsupported ${row.name} on ${endpoint} with 400 unsupported_parameter`, async () => {
        const path = endpoint === "chat" ? "/v1/chat/completions" : "/v1/completions";
        const base = endpoint === "chat" ? { model: "stories-chat", messages: [{ role: "user", content: "x" }] } : completion({});
        const res = await post(path, { ...base, [row.name]: row.name === "min_p" ? 0.1 : {} });
        expect(res.status, JSON.stringify(res.json)).to.equal(400);
        expect(res.json.error).to.deep.include({ type: "invalid_request_error", code: "unsupported_parameter", param: row.name });
      });
    }
  }
});
