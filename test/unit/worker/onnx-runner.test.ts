import { expect } from "chai";
import * as ort from "onnxruntime-node";
import { loadModelDir } from "#models/model-dir.js";
import { createOnnxRunner } from "../../../services/worker/src/runners/onnx-runner.js";
import type { OnnxRunner } from "../../../services/worker/src/runners/onnx-runner.js";
import type { RunnerRow } from "../../../services/worker/src/runners/model-runner.js";
import { loadStoriesTokenizer, requireStoriesModel, storiesModelDir } from "../../support/stories-model.js";
import { Tokenizer } from "@huggingface/tokenizers";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyModel } from "#models/tiny/create-tiny.js";
import { seededRandom } from "#common/seeded-random.js";
import { plainGreedy } from "../../support/plain-greedy.js";

const NEW_TOKENS = 64;
const BLOCK_SIZE = 16;
const LILY = ", there was a little girl named Lily. She loved to play outside in the park.";
const PROMPTS = [
  "Once upon a time",
  "Tom had a big red ball.",
  "The cat",
  "One day, a little boy named Tim went to the park with his mom. He saw a big tree and wanted to climb it.",
  "Lily and Ben were friends. They liked to play with blocks.",
  "Sue",
  "There was a dog who liked to run fast in the garden, every morning and every evening.",
  "Mom said, \"Let's bake a cake!\"",
];

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** A shuffled free list, so a sequence's blocks are scattered over the cache. */
class BlockPool {
  private readonly free: number[];
  constructor(numBlocks: number, seed: number) {
    const random = seededRandom(seed);
    this.free = Array.from({ length: numBlocks }, (_, i) => i);
    for (let i = this.free.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [this.free[i], this.free[j]] = [this.free[j], this.free[i]];
    }
  }
  /** Grows `blocks` until it covers `tokens` tokens. */
  cover(blocks: number[], tokens: number): void {
    while (blocks.length * BLOCK_SIZE < tokens) {
      const block = this.free.pop();
      if (block === undefined) throw new Error("test block pool exhausted");
      blocks.push(block);
    }
  }
}

/** One sequence being generated through the runner. */
interface Seq {
  readonly ids: number[];
  readonly promptLength: number;
  readonly blocks: number[];
  computed: number;
}

function nextRow(seq: Seq, pool: BlockPool): RunnerRow {
  pool.cover(seq.blocks, seq.ids.length);
  return { newTokenIds: seq.ids.slice(seq.computed), numComputedTokens: seq.computed, blockIds: [...seq.blocks], needsLogits: true };
}

/** Runs every unfinished sequence in one batch per step until each has NEW_TOKENS outputs. */
async function generateTogether(runner: OnnxRunner, pool: BlockPool, seqs: Seq[], startStep: number[] = [], reverseOddSteps = false): Promise<void> {
  for (let step = 0; ; step++) {
    const active = seqs.filter((s, i) => (startStep[i] ?? 0) <= step && s.ids.length - s.promptLength < NEW_TOKENS);
    if (reverseOddSteps && step % 2 === 1) active.reverse();
    if (active.length === 0 && seqs.every((s) => s.ids.length - s.promptLength >= NEW_TOKENS)) return;
    if (active.length === 0) continue;
    const results = await runner.execute(active.map((s) => nextRow(s, pool)), 0);
    active.forEach((s, i) => {
      const result = results[i];
      if (result === null || !("logits" in result)) throw new Error("expected logits");
      s.computed = s.ids.length;
      s.ids.push(argmax(result.logits));
    });
  }
}

function newSeq(prompt: readonly number[], blocks: number[] = [], computed = 0): Seq {
  return { ids: [...prompt], promptLength: prompt.length, blocks, computed };
}

/** A model the invariance tests run on: where it is and how to tokenize for it. */
interface RunnerModelCase {
  readonly name: string;
  /** Called from `before`: returns the model directory (may skip the suite). */
  prepare(ctx: Mocha.Context): string;
  readonly tokenizer: (dir: string) => Tokenizer;
  readonly cleanup?: () => void;
}

let tinyRoot: string | undefined;
const MODEL_CASES: readonly RunnerModelCase[] = [
  {
    name: "stories260K",
    prepare: (ctx) => (requireStoriesModel(ctx), storiesModelDir),
    tokenizer: () => loadStoriesTokenizer(),
  },
  {
    name: "kvmesh-tiny-random",
    prepare: () => writeTinyModel(join((tinyRoot = mkdtempSync(join(tmpdir(), "kvmesh-runner-tiny-"))), "kvmesh-tiny-random")),
    tokenizer: (dir) => {
      const model = loadModelDir(dir);
      return new Tokenizer(JSON.parse(model.tokenizerJson), JSON.parse(model.tokenizerConfigJson));
    },
    cleanup: () => tinyRoot && rmSync(tinyRoot, { recursive: true, force: true }),
  },
];

for (const modelCase of MODEL_CASES) describeRunner(modelCase);

function describeRunner(modelCase: RunnerModelCase): void {
  describe(`onnx runner on ${modelCase.name}`, function () {
    let dir: string;
    const model = () => loadModelDir(dir);
    let tokenizer: Tokenizer;
    let runner: OnnxRunner;
    let session: ort.InferenceSession;
    const reference = new Map<string, number[]>();
    const encode = (text: string): number[] => tokenizer.encode(text).ids;

    before(async function () {
      dir = modelCase.prepare(this);
      tokenizer = modelCase.tokenizer(dir);
      runner = await createOnnxRunner({ model: model(), numBlocks: 256, blockSize: BLOCK_SIZE, intraOpThreads: 1, device: "cpu" });
      session = await ort.InferenceSession.create(model().onnxPath, { intraOpNumThreads: 1, executionMode: "sequential" });
      const m = model();
      for (const text of PROMPTS) reference.set(text, await plainGreedy(session, encode(text), NEW_TOKENS, { layers: m.numLayers, heads: m.numKvHeads, headDim: m.headDim }));
    });

    after(async () => {
      await runner?.close();
      await session?.release();
      modelCase.cleanup?.();
    });

    if (modelCase.name === "stories260K") it("(a) the plain no-cache loop continues \"Once upon a time\" with the published story", () => {
      expect(encode("Once upon a time")[0]).to.equal(1);
      expect(tokenizer.decode(reference.get("Once upon a time")!)).to.match(new RegExp(`^${LILY.replace(/[.]/g, "\\.")}`));
    });

    it("(b) prefill then decode through blocks of 16 gives the same 64 ids", async () => {
      const seq = newSeq(encode("Once upon a time"));
      await generateTogether(runner, new BlockPool(runner.numBlocks, 1), [seq]);
      expect(seq.ids.slice(seq.promptLength)).to.deep.equal(reference.get("Once upon a time"));
    });

    it("(c) 8 prompts of different lengths batched together, joining at different steps, match the reference", async () => {
      const seqs = PROMPTS.map((text) => newSeq(encode(text)));
      expect(new Set(seqs.map((s) => s.promptLength)).size).to.be.greaterThan(5);
      await generateTogether(runner, new BlockPool(runner.numBlocks, 2), seqs, [0, 0, 0, 1, 3, 3, 7, 20]);
      seqs.forEach((s, i) => expect(s.ids.slice(s.promptLength), PROMPTS[i]).to.deep.equal(reference.get(PROMPTS[i])));
    });

    it("(d) a sequence reusing another sequence's full prompt blocks gives the same ids", async () => {
      const pool = new BlockPool(runner.numBlocks, 3);
      const longText = PROMPTS[3];
      const owner = newSeq(encode(longText));
      expect(owner.promptLength).to.be.greaterThan(2 * BLOCK_SIZE);
      await generateTogether(runner, pool, [owner]);
      for (const cachedBlocks of [1, 2]) {
        const reuser = newSeq(encode(longText), owner.blocks.slice(0, cachedBlocks), cachedBlocks * BLOCK_SIZE);
        await generateTogether(runner, pool, [reuser]);
        expect(reuser.ids.slice(reuser.promptLength), `${cachedBlocks} cached blocks`).to.deep.equal(reference.get(longText));
      }
    });

    it("(e) a prompt prefilled in chunks without logits gives the same ids", async () => {
      const pool = new BlockPool(runner.numBlocks, 4);
      const text = PROMPTS[6];
      const seq = newSeq(encode(text));
      for (const chunkEnd of [7, 20, 21]) {
        pool.cover(seq.blocks, chunkEnd);
        const row = { newTokenIds: seq.ids.slice(seq.computed, chunkEnd), numComputedTokens: seq.computed, blockIds: [...seq.blocks], needsLogits: false };
        expect(await runner.execute([row], 0)).to.deep.equal([null]);
        seq.computed = chunkEnd;
      }
      await generateTogether(runner, pool, [seq]);
      expect(seq.ids.slice(seq.promptLength)).to.deep.equal(reference.get(text));
    });

    it("(f) decode rows whose order flips every step (no stale carried past) match the reference", async () => {
      const texts = [PROMPTS[0], PROMPTS[2], PROMPTS[5]];
      const seqs = texts.map((text) => newSeq(encode(text)));
      await generateTogether(runner, new BlockPool(runner.numBlocks, 5), seqs, [], true);
      seqs.forEach((s, i) => expect(s.ids.slice(s.promptLength), texts[i]).to.deep.equal(reference.get(texts[i])));
    });

    it("rejects a row whose blocks do not cover its tokens, before running", async () => {
      const row = { newTokenIds: [1, 2, 3], numComputedTokens: 15, blockIds: [0], needsLogits: true };
      let error: unknown;
      await runner.execute([row], 0).catch((err: unknown) => (error = err));
      expect(String(error)).to.match(/needs 2 blocks of 16, got 1/);
    });
  });
}
