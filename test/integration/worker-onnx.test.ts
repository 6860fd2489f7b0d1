// The onnx worker end to end through its real gRPC service (a `kvmesh worker` process on
// stories260K): the reference continuation alone, batched and against a plain no-cache loop,
// prefix caching with exact accounting, batching per step, preemption, cancellation, bad input.
import { expect } from "chai";
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import type { Tokenizer } from "@huggingface/tokenizers";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import { plainGreedy } from "../support/plain-greedy.js";
import { stopAllProcesses } from "../support/process.js";
import { loadStoriesTokenizer, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { clearKvCache, dumpKvState, generate, getLoad, getModelCard, metricSum, scrape, startWorkerProcess } from "../support/worker-process.js";
import type { WorkerProcess } from "../support/worker-process.js";

/** Block size of the main worker. */
const BS = 32;
const LILY = ", there was a little girl named Lily. She loved to play outside in the park.";
const BATCH_PROMPTS = [
  "Once upon a time",
  "Tom had a big red ball.",
  "The cat",
  "One day, a little boy named Tim went to the park with his mom.",
  "Lily and Ben were friends. They liked to play with blocks.",
  "Sue",
  "There was a dog who liked to run fast in the garden.",
  "Mom said, \"Let's bake a cake!\"",
];
const LONG_PROMPT =
  "One day, a little boy named Tim went to the park with his mom. He saw a big tree and wanted to climb it. " +
  "His mom said, \"Be careful, Tim!\" Tim climbed up and up, and he saw a bird in a nest.";

describe("onnx worker through its gRPC service (stories260K)", function () {
  this.timeout(120_000);
  let tokenizer: Tokenizer;
  let worker: WorkerProcess;
  let session: ort.InferenceSession;
  const encode = (text: string): number[] => tokenizer.encode(text).ids;
  const greedy = (tokenIds: number[], maxTokens: number, extra: object = {}) =>
    generate(worker.client(), { tokenIds, sampling: { temperature: 0 }, stop: { maxTokens, stopTokenIds: [], ignoreEos: true }, ...extra });

  before(async function () {
    requireStoriesModel(this);
    tokenizer = loadStoriesTokenizer();
    worker = await startWorkerProcess(["--model", storiesModelDir, "--block-size", String(BS), "--num-kv-blocks", "128"]);
    session = await ort.InferenceSession.create(join(storiesModelDir, "onnx", "model.onnx"), { intraOpNumThreads: 1, executionMode: "sequential" });
  });
  after(async () => {
    await session?.release();
    await stopAllProcesses();
  });

  it("serves a model card with the model's files and the engine's numbers", async () => {
    const { card, workerId } = await getModelCard(worker.client());
    expect(workerId).to.equal(worker.workerIds[0]);
    expect(card).to.include({ name: "stories260K", contextLength: 512, blockSize: BS, totalKvBlocks: 128, engine: "onnx" });
    expect(card!.eosTokenIds).to.deep.equal([2, 1]);
    expect(JSON.parse(card!.tokenizerJson).model.type).to.equal("BPE");
    expect(JSON.parse(card!.generationConfigJson).eos_token_id).to.deep.equal([2, 1]);
  });

  it("continues \"Once upon a time\" identically alone, in a batch of 8 and in a plain no-cache loop", async () => {
    const prompt = encode("Once upon a time");
    const reference = await plainGreedy(session, prompt, 64);
    const alone = await greedy(prompt, 64);
    expect(alone.tokens).to.deep.equal(reference);
    expect(tokenizer.decode([...prompt, ...alone.tokens], { skip_special_tokens: true })).to.satisfy((t: string) => t.startsWith(`Once upon a time${LILY}`));
    expect(alone.finishReason).to.equal(FinishReason.FINISH_REASON_LENGTH);
    const batched = await Promise.all(BATCH_PROMPTS.map((text) => greedy(encode(text), 64)));
    expect(batched[0].tokens).to.deep.equal(reference);
    for (const [i, text] of BATCH_PROMPTS.entries()) {
      expect(batched[i].tokens, text).to.deep.equal(await plainGreedy(session, encode(text), 64));
    }
    const metrics = await scrape(worker.metricsPort!);
    const bigBatches = metrics.split("\n").filter((l) => l.startsWith("kvmesh_worker_batch_size_bucket") && l.includes('le="4"'));
    const count = metricSum(metrics, "kvmesh_worker_batch_size_count");
    expect(count - metricSum(bigBatches.join("\n"), "kvmesh_worker_batch_size_bucket"), "steps with more than 4 rows").to.be.greaterThan(0);
  });

  it("serves a repeated 48+ token prompt from the cache with identical output and exact prefill accounting", async () => {
    const prompt = encode(LONG_PROMPT);
    expect(prompt.length).to.be.at.least(48);
    expect(prompt.length % BS, "a partial last block, so the cap does not apply").to.not.equal(0);
    await clearKvCache(worker.client());
    const cold = await greedy(prompt, 32);
    expect(cold.usage?.cachedTokens).to.equal(0);
    const before = metricSum(await scrape(worker.metricsPort!), "kvmesh_worker_prefill_computed_tokens_total");
    const warm = await greedy(prompt, 32);
    const after = metricSum(await scrape(worker.metricsPort!), "kvmesh_worker_prefill_computed_tokens_total");
    const expected = Math.floor((prompt.length - 1) / BS) * BS;
    expect(expected).to.be.greaterThan(0);
    expect(warm.usage).to.deep.include({ promptTokens: prompt.length, cachedTokens: expected });
    expect(warm.cachedTokensSeen, "the first message says it too, and only the first").to.deep.equal([expected]);
    expect(warm.indexes[0]).to.equal(0);
    expect(cold.cachedTokensSeen).to.deep.equal([0]);
    expect(warm.tokens).to.deep.equal(cold.tokens);
    expect(after - before).to.equal(prompt.length - expected);
  });

  // As vLLM: the hit is capped at prompt − 1 tokens in whole blocks, so the last block is recomputed.
  it("caps cached tokens of a fully cached prompt in whole blocks so its last token is computed", async () => {
    const prompt = encode(LONG_PROMPT).slice(0, 2 * BS);
    const cold = await greedy(prompt, 16);
    const warm = await greedy(prompt, 16);
    expect(warm.usage).to.deep.include({ promptTokens: 2 * BS, cachedTokens: BS });
    expect(warm.tokens).to.deep.equal(cold.tokens);
  });

  it("holds a 3-block prefix shared by two live sequences once", async () => {
    await clearKvCache(worker.client());
    const shared = [...encode(LONG_PROMPT), ...encode(LONG_PROMPT)].slice(0, 3 * BS);
    // One distinct token each, and few enough new tokens that each sequence stays in 4 blocks.
    const request = (last: number) => greedy([...shared, last], BS - 1);
    const runs = [request(100), request(200)];
    let load = await getLoad(worker.client());
    for (let i = 0; i < 2000 && load.running < 2; i++) load = await getLoad(worker.client());
    expect(load.running, "both sequences running at once").to.equal(2);
    expect(load.blocksActive, "3 shared + 1 + 1 (unshared would be 8)").to.equal(5);
    const [a, b] = await Promise.all(runs);
    expect(a.usage!.promptTokens).to.equal(3 * BS + 1);
    expect(b.usage!.promptTokens).to.equal(3 * BS + 1);
    const dump = await dumpKvState(worker.client());
    const storedHashes = dump.events.flatMap((e) => (e.data?.$case === "stored" ? e.data.stored.blocks.map((blk) => blk.sequenceHash) : []));
    expect(new Set(storedHashes).size, "no block hash stored twice").to.equal(storedHashes.length);
  });

  it("frees a cancelled stream's blocks at once", async () => {
    const stream = worker.client().generate({ requestId: "to-cancel", model: "", tokenIds: encode(LONG_PROMPT), sampling: { temperature: 0 }, stop: { maxTokens: 400, stopTokenIds: [], ignoreEos: true } });
    await new Promise<void>((resolve) => stream.once("data", () => resolve()));
    stream.on("error", () => undefined);
    stream.cancel();
    let load = await getLoad(worker.client());
    for (let i = 0; i < 100 && load.blocksActive > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      load = await getLoad(worker.client());
    }
    expect(load).to.include({ blocksActive: 0, running: 0, waiting: 0 });
  });

  it("rejects bad input with INVALID_ARGUMENT or OUT_OF_RANGE and leaves other requests untouched", async () => {
    const prompt = encode("Once upon a time");
    const good = greedy(prompt, 64);
    const cases: Array<[string, object, number]> = [
      ["empty prompt", { tokenIds: [] }, 3],
      ["prompt over the context", { tokenIds: new Array(600).fill(5) }, 11],
      ["max_tokens 0", { tokenIds: prompt, stop: { maxTokens: 0, stopTokenIds: [], ignoreEos: false } }, 3],
      ["negative temperature", { tokenIds: prompt, sampling: { temperature: -1 } }, 3],
      ["top_p above 1", { tokenIds: prompt, sampling: { topP: 1.5 } }, 3],
      ["token id outside the vocabulary", { tokenIds: [1, 99999] }, 3],
      ["another model", { tokenIds: prompt, model: "other-model" }, 5],
    ];
    for (const [what, request, code] of cases) {
      const err = await generate(worker.client(), request as { tokenIds: number[] }).then(() => undefined, (e: ServiceError) => e);
      expect(err?.code, what).to.equal(code);
      expect(err?.details, what).to.be.a("string").and.not.equal("");
    }
    const reference = await plainGreedy(session, prompt, 64);
    expect((await good).tokens).to.deep.equal(reference);
  });
});

describe("onnx worker under block pressure (stories260K)", function () {
  this.timeout(120_000);
  let tokenizer: Tokenizer;
  let worker: WorkerProcess;
  let session: ort.InferenceSession;

  before(async function () {
    requireStoriesModel(this);
    tokenizer = loadStoriesTokenizer();
    // 24 blocks of 16: eight 100-token sequences need 56, so the scheduler must preempt.
    worker = await startWorkerProcess(["--model", storiesModelDir, "--block-size", "16", "--num-kv-blocks", "24"]);
    session = await ort.InferenceSession.create(join(storiesModelDir, "onnx", "model.onnx"), { intraOpNumThreads: 1, executionMode: "sequential" });
  });
  after(async () => {
    await session?.release();
    await stopAllProcesses();
  });

  it("preempts when blocks run out and still finishes every request with the reference output", async () => {
    const prompts = BATCH_PROMPTS.map((t) => tokenizer.encode(t).ids);
    const results = await Promise.all(prompts.map((tokenIds) =>
      generate(worker.client(), { tokenIds, sampling: { temperature: 0 }, stop: { maxTokens: 96, stopTokenIds: [], ignoreEos: true } })));
    for (const [i, prompt] of prompts.entries()) expect(results[i].tokens, BATCH_PROMPTS[i]).to.deep.equal(await plainGreedy(session, prompt, 96));
    expect(metricSum(await scrape(worker.metricsPort!), "kvmesh_worker_preemptions_total")).to.be.greaterThan(0);
    const load = await getLoad(worker.client());
    expect(load.blocksActive).to.equal(0);
  });
});
