// The prompt pool (piscina worker threads, loading the compiled worker file from dist): token
// ids and rendered chats identical to inline encoding on stories260K and the generated tiny
// model, typed errors crossing back as their own class, the queue limit (overloaded), abort,
// and shutdown.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { expect } from "chai";
import { CancelledError, ContextLengthError, FailedPreconditionError, InvalidArgumentError, OverloadedError } from "#common/errors.js";
import { seededRandom } from "#common/seeded-random.js";
import { promptAssetsFrom } from "../../../services/preprocessor/src/prompt-assets.js";
import type { PromptModelData } from "../../../services/preprocessor/src/prompt-assets.js";
import { encodePrompt, INLINE_PROMPT_BYTES } from "../../../services/preprocessor/src/request/encode-prompt.js";
import { promptTokens } from "../../../services/preprocessor/src/request/prompt-tokens.js";
import type { PromptInput } from "../../../services/preprocessor/src/request/prompt-tokens.js";
import { POOL_EXEC_ARGV, poolOptions, PromptPool } from "../../../services/preprocessor/src/tokenizer/prompt-pool.js";
import { requireStoriesModel, storiesModelDir } from "../../support/stories-model.js";
import { tinyPromptData } from "../../support/tiny-card.js";

const WORDS = ["Once", "upon", "a", "time", "日本", "café", "🙂", "\n", "  ", "<|im_end|>", "</s>", "Lily", "ĠĠ", "\u00a0", "x"];

/** Seeded text of about `chars` characters mixing ASCII, multi-byte, emoji and special-token text. */
function randomText(random: () => number, chars: number): string {
  let out = "";
  while (out.length < chars) out += WORDS[Math.floor(random() * WORDS.length)] + (random() < 0.7 ? " " : "");
  return out;
}

function storiesData(): PromptModelData {
  const read = (file: string): string => readFileSync(join(storiesModelDir, file), "utf8");
  return {
    name: "stories260K",
    contextLength: 131072,
    tokenizerJson: read("tokenizer.json"),
    tokenizerConfigJson: read("tokenizer_config.json"),
    chatTemplate: "{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}",
  };
}

describe("preprocessor prompt pool", function () {
  this.timeout(120_000);
  let pool: PromptPool;
  beforeEach(() => (pool = new PromptPool({ threads: 2 })));
  afterEach(() => pool.destroy());

  /** Every prompt encoded inline and on the pool gives the same ids and rendered text. */
  async function expectIdentical(data: PromptModelData, prompts: PromptInput[]): Promise<void> {
    const inline = promptAssetsFrom(data);
    const model = pool.register(data);
    const pooled = await Promise.all(prompts.map((p) => pool.encode(model, p)));
    prompts.forEach((p, i) => expect(pooled[i], `prompt ${i}`).to.deep.equal(promptTokens(p, inline)));
  }

  function prompts(random: () => number): PromptInput[] {
    const out: PromptInput[] = [];
    for (const chars of [1, 50, 700, 5000]) {
      out.push({ $case: "text", text: randomText(random, chars) });
      out.push({ $case: "chat", chat: { messages: [{ role: "system", content: randomText(random, chars) }, { role: "user", content: randomText(random, chars) }] } });
    }
    out.push({ $case: "chat", chat: { messages: [{ role: "user", contentPartsJson: JSON.stringify([{ type: "text", text: "a" }, { type: "text", text: "日本" }]) }] } });
    out.push({ $case: "tokens", tokens: { tokenIds: [1, 2, 3] } });
    return out;
  }

  it("defaults to min(2, cores) threads and 16 queued tasks; clamps to at least 1 thread and 0 queued", async () => {
    const defaults = new PromptPool();
    expect([defaults.threads, defaults.maxQueue]).to.deep.equal([Math.min(2, availableParallelism()), 16]);
    const clamped = new PromptPool({ threads: 0, maxQueue: -1 });
    expect([clamped.threads, clamped.maxQueue]).to.deep.equal([1, 0]);
    await Promise.all([defaults.destroy(), clamped.destroy()]);
  });

  it("its threads load the task with import(), never require(esm) (node 20.20's require(esm) aborted CI's process once)", async function () {
    if (!process.allowedNodeEnvironmentFlags.has("--no-experimental-require-module")) {
      expect(POOL_EXEC_ARGV).to.deep.equal([]);
      expect(poolOptions(2, 16)).to.not.have.property("execArgv");
      return this.skip(); // this node has no require(esm) to turn off
    }
    const options = poolOptions(2, 16)!;
    expect(options.execArgv).to.deep.equal(["--no-experimental-require-module"]);
    expect(options).to.include({ minThreads: 2, maxThreads: 2, maxQueue: 16 });
    // A thread started with those flags cannot require() the task module: piscina's worker
    // then falls back to import().
    const taskPath = new URL(options.filename as string).pathname;
    const worker = new Worker(`require(${JSON.stringify(taskPath)})`, { eval: true, execArgv: options.execArgv });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => worker.once("error", resolve));
    expect(err.code).to.equal("ERR_REQUIRE_ESM");
    // And the pool still encodes through them.
    const model = pool.register(tinyPromptData(1 << 20));
    expect((await pool.encode(model, { $case: "tokens", tokens: { tokenIds: [5, 6] } })).tokenIds).to.deep.equal([5, 6]);
  });

  it("gives the same token ids as inline encoding on stories260K (text and chat)", async function () {
    requireStoriesModel(this);
    await expectIdentical(storiesData(), prompts(seededRandom(13)));
  });

  it("gives the same token ids as inline encoding on the generated tiny model (byte-level BPE, ChatML)", async () => {
    await expectIdentical(tinyPromptData(131072), prompts(seededRandom(7)));
  });

  it("keeps card versions apart: a new key for the same model name uses the new card", async () => {
    const first = pool.register({ ...tinyPromptData(), chatTemplate: "A{{ messages[0].content }}" });
    const second = pool.register({ ...tinyPromptData(), chatTemplate: "B{{ messages[0].content }}" });
    expect(first.key).not.to.equal(second.key);
    const chat: PromptInput = { $case: "chat", chat: { messages: [{ role: "user", content: "x" }] } };
    expect((await pool.encode(first, chat)).rendered).to.equal("Ax");
    expect((await pool.encode(second, chat)).rendered).to.equal("Bx");
  });

  it("sends typed errors back as their class with their param", async () => {
    const model = pool.register(tinyPromptData(16));
    const noTemplate = pool.register({ ...tinyWithoutTemplate(), chatTemplate: undefined });
    const cases: Array<{ model: typeof model; prompt: PromptInput; type: new (...args: never[]) => Error; param: string }> = [
      { model, prompt: { $case: "text", text: "a".repeat(16 * 13 + 1) }, type: ContextLengthError, param: "prompt" },
      { model, prompt: { $case: "chat", chat: { messages: [{ role: "user", content: "hi" }], toolsJson: "{" } }, type: InvalidArgumentError, param: "tools" },
      { model, prompt: { $case: "tokens", tokens: { tokenIds: [1_000_000] } }, type: InvalidArgumentError, param: "prompt" },
      { model: noTemplate, prompt: { $case: "chat", chat: { messages: [{ role: "user", content: "hi" }] } }, type: FailedPreconditionError, param: "messages" },
    ];
    for (const c of cases) {
      const err = await pool.encode(c.model, c.prompt).catch((e: unknown) => e);
      expect(err, JSON.stringify(c.prompt).slice(0, 80)).to.be.instanceOf(c.type);
      expect((err as { param?: string }).param).to.equal(c.param);
    }
  });

  it("refuses work past the queue limit with OverloadedError (503 overloaded)", async () => {
    const small = new PromptPool({ threads: 1, maxQueue: 1 });
    try {
      const model = small.register(tinyPromptData(1 << 20));
      const big: PromptInput = { $case: "text", text: randomText(seededRandom(3), 200_000) };
      const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => small.encode(model, big)));
      const refused = results.filter((r) => r.status === "rejected");
      // One runs, one waits; at least the last three find the queue full.
      expect(refused.length).to.be.at.least(3);
      for (const r of refused) expect((r as PromiseRejectedResult).reason).to.be.instanceOf(OverloadedError);
      expect(results.filter((r) => r.status === "fulfilled").length).to.be.at.least(1);
    } finally {
      await small.destroy();
    }
  });

  it("turns an abort into CancelledError, and refuses work once destroyed", async () => {
    const model = pool.register(tinyPromptData(1 << 20));
    const abort = new AbortController();
    const pending = pool.encode(model, { $case: "text", text: randomText(seededRandom(5), 100_000) }, abort.signal);
    abort.abort();
    expect(await pending.catch((e: unknown) => e)).to.be.instanceOf(CancelledError);
    await pool.destroy();
    expect(await pool.encode(model, { $case: "text", text: "hi" }).catch((e: unknown) => e)).to.be.instanceOf(CancelledError);
  });

  it("ends a task still running at shutdown with CancelledError, not an internal error", async () => {
    const model = pool.register(tinyPromptData(1 << 20));
    // Seconds of work: still running (or queued) when destroy() comes 100 ms later.
    const outcome = pool.encode(model, { $case: "text", text: randomText(seededRandom(9), 3_000_000) }).then(() => "finished first", (e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pool.destroy();
    expect(await outcome).to.be.instanceOf(CancelledError);
  });

  it("encodePrompt keeps prompts under the inline threshold off the pool and sends larger ones to it", async () => {
    const data = tinyPromptData(1 << 20);
    const assets = promptAssetsFrom(data);
    let pooled = 0;
    const counting = { encode: (...args: Parameters<PromptPool["encode"]>) => (pooled++, pool.encode(...args)) } as unknown as PromptPool;
    const withPool = { ...assets, pool: { pool: counting, model: pool.register(data) } };
    await encodePrompt({ $case: "text", text: "a".repeat(INLINE_PROMPT_BYTES - 1) }, withPool);
    expect(pooled).to.equal(0);
    const chat = await encodePrompt({ $case: "chat", chat: { messages: [{ role: "user", content: "a".repeat(INLINE_PROMPT_BYTES) }] } }, withPool);
    expect(pooled).to.equal(1);
    expect(chat).to.deep.equal(promptTokens({ $case: "chat", chat: { messages: [{ role: "user", content: "a".repeat(INLINE_PROMPT_BYTES) }] } }, assets));
  });
});

/** A card without any chat template (the tiny model's config carries one; strip it). */
function tinyWithoutTemplate(): PromptModelData {
  const data = tinyPromptData();
  const config = JSON.parse(data.tokenizerConfigJson) as Record<string, unknown>;
  delete config.chat_template;
  return { ...data, tokenizerConfigJson: JSON.stringify(config) };
}
