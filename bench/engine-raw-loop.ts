/**
 * The ceiling the engine benchmark compares against: a batched greedy decode straight on an
 * onnxruntime session, each step's `present` fed back as the next `past` (no blocks, no
 * scheduler). `runnerBatchedDecode` drives the onnx runner the same way, so the two numbers
 * isolate the cost of the paged K/V gather/scatter.
 *
 * Run: node dist/bench/engine-raw-loop.js [modelDir] [batch] [promptLen] [newTokens]
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { loadModelDir } from "#models/model-dir.js";
import { createOnnxRunner } from "../services/worker/src/runners/onnx-runner.js";
import type { ModelRunner } from "../services/worker/src/runners/model-runner.js";

/** One batched decode run: throughput, timing split and the greedy tokens of every row. */
export interface DecodeRun {
  /** Generated tokens per second over the whole run (prefill included). */
  readonly tokPerS: number;
  /** Wall time of the whole run. */
  readonly totalMs: number;
  /** CPU time of the process during the run (user + system, all threads). */
  readonly cpuMs: number;
  /** Wall time of the first call (the prefill that yields every row's first token). */
  readonly firstStepMs: number;
  /** Generated tokens per row. */
  readonly tokens: number[][];
}

/** Deterministic prompt ids in [3, vocab), different for every row (no prefix sharing). */
export function benchPrompt(row: number, promptLen: number, vocabSize: number): number[] {
  return Array.from({ length: promptLen }, (_, i) => 3 + ((row * 7919 + i * 104729) % (vocabSize - 3)));
}

/** Opens a session the way the worker does on CPU: one intra-op thread, sequential, all optimisations. */
export async function createRawSession(onnxPath: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(onnxPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
}

/** CPU milliseconds used by this process since `since` (a process.cpuUsage() reading). */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function argmaxAt(data: Float32Array, at: number, vocab: number): number {
  let best = 0;
  for (let i = 1; i < vocab; i++) if (data[at + i] > data[at + best]) best = i;
  return best;
}

/** Layer count, KV heads and head dim read from the session's past_key_values.0.key metadata. */
function kvShape(session: ort.InferenceSession): { layers: number; heads: number; headDim: number } {
  const layers = session.inputNames.filter((name) => /^past_key_values\.\d+\.key$/.test(name)).length;
  const meta = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
  const shape = meta && meta.isTensor ? meta.shape : [];
  const [heads, headDim] = [shape[1], shape[3]];
  if (typeof heads !== "number" || typeof headDim !== "number") throw new Error("past_key_values.0.key needs fixed heads and head_dim");
  return { layers, heads, headDim };
}

/**
 * Greedy batched decode on a raw session: one prefill call for `prompts` (all the same
 * length), then newTokens − 1 single-token steps.
 */
export async function rawBatchedDecode(session: ort.InferenceSession, prompts: readonly number[][], newTokens = 128): Promise<DecodeRun> {
  const { layers, heads, headDim } = kvShape(session);
  const batch = prompts.length;
  const int64 = (values: number[], dims: number[]): ort.Tensor => new ort.Tensor("int64", BigInt64Array.from(values, BigInt), dims);
  const past: Record<string, ort.Tensor> = {};
  for (let layer = 0; layer < layers; layer++) {
    for (const kind of ["key", "value"]) past[`past_key_values.${layer}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [batch, heads, 0, headDim]);
  }
  let ids = prompts.flat();
  let seq = prompts[0].length;
  let length = 0;
  const tokens = prompts.map((): number[] => []);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let firstStepMs = 0;
  for (let step = 0; step < newTokens; step++) {
    length += seq;
    const positions = Array.from({ length: batch * seq }, (_, i) => length - seq + (i % seq));
    const out = await session.run({
      input_ids: int64(ids, [batch, seq]),
      attention_mask: int64(new Array<number>(batch * length).fill(1), [batch, length]),
      position_ids: int64(positions, [batch, seq]),
      ...past,
    });
    const logits = out.logits;
    const vocab = logits.dims[2];
    ids = Array.from({ length: batch }, (_, b) => argmaxAt(logits.data as Float32Array, (b * seq + seq - 1) * vocab, vocab));
    ids.forEach((id, b) => tokens[b].push(id));
    for (let layer = 0; layer < layers; layer++) {
      for (const kind of ["key", "value"]) past[`past_key_values.${layer}.${kind}`] = out[`present.${layer}.${kind}`];
    }
    if (step === 0) firstStepMs = performance.now() - started;
    seq = 1;
  }
  const totalMs = performance.now() - started;
  return { tokPerS: (batch * newTokens) / (totalMs / 1000), totalMs, cpuMs: cpuMsSince(cpuStart), firstStepMs, tokens };
}

/**
 * The same workload through a ModelRunner with contiguous blocks per row. The runner needs
 * batch × ceil((promptLen + newTokens) / blockSize) blocks.
 */
export async function runnerBatchedDecode(runner: ModelRunner, prompts: readonly number[][], newTokens = 128): Promise<DecodeRun> {
  const batch = prompts.length;
  const perRow = Math.ceil((prompts[0].length + newTokens) / runner.blockSize);
  if (batch * perRow > runner.numBlocks) throw new RangeError(`needs ${batch * perRow} blocks, the runner has ${runner.numBlocks}`);
  const seqs = prompts.map((prompt, row) => ({
    ids: [...prompt],
    computed: 0,
    blockIds: Array.from({ length: perRow }, (_, i) => row * perRow + i),
  }));
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let firstStepMs = 0;
  for (let step = 0; step < newTokens; step++) {
    const rows = seqs.map((s) => ({ newTokenIds: s.ids.slice(s.computed), numComputedTokens: s.computed, blockIds: s.blockIds, needsLogits: true }));
    const results = await runner.execute(rows, 0);
    seqs.forEach((s, b) => {
      const result = results[b];
      if (result === null || !("logits" in result)) throw new Error("runner returned no logits");
      s.computed = s.ids.length;
      s.ids.push(argmaxAt(result.logits, 0, result.logits.length));
    });
    if (step === 0) firstStepMs = performance.now() - started;
  }
  const totalMs = performance.now() - started;
  const tokens = seqs.map((s, b) => s.ids.slice(prompts[b].length));
  return { tokPerS: (batch * newTokens) / (totalMs / 1000), totalMs, cpuMs: cpuMsSince(cpuStart), firstStepMs, tokens };
}

async function main(): Promise<void> {
  const [dir = "../shared/models/stories260K", batchArg = "16", promptArg = "32", newArg = "128"] = process.argv.slice(2);
  const [batch, promptLen, newTokens] = [Number(batchArg), Number(promptArg), Number(newArg)];
  const model = loadModelDir(dir);
  const session = await createRawSession(model.onnxPath);
  const blockSize = 16;
  const numBlocks = batch * Math.ceil((promptLen + newTokens) / blockSize);
  const runner = await createOnnxRunner({ model, numBlocks, blockSize, intraOpThreads: 1, device: "cpu" });
  const prompts = Array.from({ length: batch }, (_, row) => benchPrompt(row, promptLen, model.vocabSize));
  for (let round = 0; round < 3; round++) {
    const raw = await rawBatchedDecode(session, prompts, newTokens);
    const paged = await runnerBatchedDecode(runner, prompts, newTokens);
    console.log(JSON.stringify({ round, batch, promptLen, newTokens, rawTokPerS: Math.round(raw.tokPerS), runnerTokPerS: Math.round(paged.tokPerS), ratio: +(paged.tokPerS / raw.tokPerS).toFixed(3) }));
  }
  await runner.close();
  await session.release();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
