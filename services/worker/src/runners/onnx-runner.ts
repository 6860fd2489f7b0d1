/**
 * The onnx ModelRunner: owns the K/V bytes of every physical block and turns each engine
 * step into one batched decoder call (left-padded past and new tokens, see
 * onnx-batch-inputs.ts), then writes the new tokens' K/V back into the rows' blocks.
 */
import * as ort from "onnxruntime-node";
import { checkDecoderContract } from "#models/decoder-contract.js";
import type { KvDtype } from "#models/decoder-contract.js";
import type { ModelDir } from "#models/model-dir.js";
import { buildBatchInputs } from "./onnx-batch-inputs.js";
import type { BatchInputs } from "./onnx-batch-inputs.js";
import { halfToFloat32 } from "./onnx-half.js";
import { copyTokens, kvArrayLength } from "./onnx-kv-blocks.js";
import type { KvArray, KvGeometry } from "./onnx-kv-blocks.js";
import { carryAfterStep, carryFits } from "./onnx-past-carry.js";
import type { PastCarry } from "./onnx-past-carry.js";
import { createDecoderSession } from "./onnx-session.js";
import type { OnnxDevice } from "./onnx-session.js";
import type { ModelRunner, RowResult, RunnerRow } from "./model-runner.js";

/** Options of createOnnxRunner. */
export interface OnnxRunnerOptions {
  readonly model: ModelDir;
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly intraOpThreads: number;
  readonly device: OnnxDevice;
}

/** The onnx runner, plus what it learned from the session. */
export interface OnnxRunner extends ModelRunner {
  readonly model: ModelDir;
  readonly kvDtype: KvDtype;
}

/**
 * Opens the session, checks the decoder contract and allocates numBlocks blocks of K/V for
 * every layer (zeroed). Throws ModelLoadError on a bad model or an unavailable device.
 */
export async function createOnnxRunner(options: OnnxRunnerOptions): Promise<OnnxRunner> {
  const { model, numBlocks, blockSize } = options;
  if (!(Number.isInteger(numBlocks) && numBlocks > 0) || !(Number.isInteger(blockSize) && blockSize > 0)) {
    throw new RangeError(`numBlocks and blockSize must be positive integers, got ${numBlocks} and ${blockSize}`);
  }
  const session = await createDecoderSession(model.onnxPath, options);
  let kvDtype: KvDtype;
  try {
    kvDtype = checkDecoderContract(session, model);
  } catch (err) {
    await session.release();
    throw err;
  }
  const geo: KvGeometry = { numBlocks, blockSize, numKvHeads: model.numKvHeads, headDim: model.headDim };
  const length = kvArrayLength(geo);
  const makeArray = (n: number): KvArray => (kvDtype === "float32" ? new Float32Array(n) : new Uint16Array(n));
  const keys = Array.from({ length: model.numLayers }, () => makeArray(length));
  const values = Array.from({ length: model.numLayers }, () => makeArray(length));
  const cache: PagedCache = { geo, kvDtype, keys, values, makeArray };
  let carry: PastCarry<ort.Tensor> | null = null;
  let running = false;

  return {
    numBlocks,
    blockSize,
    vocabSize: model.vocabSize,
    model,
    kvDtype,
    async execute(rows: readonly RunnerRow[]): Promise<RowResult[]> {
      if (rows.length === 0) return [];
      // Steps must not overlap: the carried past and the block writes assume step order.
      if (running) throw new Error("onnx runner: execute called while a step is running");
      checkBlockCoverage(rows, cache.geo);
      const inputs = buildBatchInputs(rows);
      const past = carryFits(carry, rows) ? carry.past : gatherPast(rows, inputs, cache);
      carry = null; // a failed run must not leave a stale carry behind
      running = true;
      let outputs: ort.InferenceSession.OnnxValueMapType;
      try {
        outputs = await session.run({ ...tokenFeeds(rows.length, inputs), ...past });
      } finally {
        running = false;
      }
      storePresent(rows, inputs, outputs, cache);
      const { logits, ...presents } = outputs;
      carry = carryAfterStep(rows, blockSize, presents);
      return readLogits(rows, inputs, logits, model.vocabSize);
    },
    async close(): Promise<void> {
      carry = null;
      await session.release();
    },
  };
}

interface PagedCache {
  readonly geo: KvGeometry;
  readonly kvDtype: KvDtype;
  readonly keys: KvArray[];
  readonly values: KvArray[];
  readonly makeArray: (n: number) => KvArray;
}

/** Checked before the run, so a bad row cannot leave other rows' K/V half written. */
function checkBlockCoverage(rows: readonly RunnerRow[], geo: KvGeometry): void {
  for (const row of rows) {
    const tokens = row.numComputedTokens + row.newTokenIds.length;
    const needed = Math.ceil(tokens / geo.blockSize);
    if (row.blockIds.length < needed) {
      throw new RangeError(`a row of ${tokens} tokens needs ${needed} blocks of ${geo.blockSize}, got ${row.blockIds.length}`);
    }
    for (const block of row.blockIds.slice(0, needed)) {
      if (!(Number.isInteger(block) && block >= 0 && block < geo.numBlocks)) throw new RangeError(`block id ${block} is out of range`);
    }
  }
}

function tokenFeeds(batch: number, inputs: BatchInputs): Record<string, ort.Tensor> {
  const { pastLength: past, newLength } = inputs;
  return {
    input_ids: new ort.Tensor("int64", inputs.inputIds, [batch, newLength]),
    attention_mask: new ort.Tensor("int64", inputs.attentionMask, [batch, past + newLength]),
    position_ids: new ort.Tensor("int64", inputs.positionIds, [batch, newLength]),
  };
}

/** Dense past_key_values.N.key/value tensors [batch, kvHeads, P, headDim] from the blocks. */
function gatherPast(rows: readonly RunnerRow[], inputs: BatchInputs, cache: PagedCache): Record<string, ort.Tensor> {
  const batch = rows.length;
  const past = inputs.pastLength;
  const { numKvHeads: heads, headDim } = cache.geo;
  const feeds: Record<string, ort.Tensor> = {};
  const gather = (store: KvArray): ort.Tensor => {
    // Padding slots stay zero; the attention mask hides them.
    const dense = cache.makeArray(batch * heads * past * headDim);
    rows.forEach((row, b) => {
      const span = { row: b, length: past, start: past - row.numComputedTokens };
      copyTokens(store, cache.geo, row.blockIds, 0, row.numComputedTokens, dense, span, true);
    });
    return new ort.Tensor(cache.kvDtype, dense, [batch, heads, past, headDim]);
  };
  cache.keys.forEach((store, layer) => {
    feeds[`past_key_values.${layer}.key`] = gather(store);
    feeds[`past_key_values.${layer}.value`] = gather(cache.values[layer]);
  });
  return feeds;
}

function storePresent(rows: readonly RunnerRow[], inputs: BatchInputs, outputs: ort.InferenceSession.OnnxValueMapType, cache: PagedCache): void {
  const total = inputs.pastLength + inputs.newLength;
  const scatter = (store: KvArray, name: string): void => {
    const present = outputs[name].data as KvArray;
    rows.forEach((row, b) => {
      const n = row.newTokenIds.length;
      const span = { row: b, length: total, start: total - n };
      copyTokens(store, cache.geo, row.blockIds, row.numComputedTokens, n, present, span, false);
    });
  };
  cache.keys.forEach((store, layer) => {
    scatter(store, `present.${layer}.key`);
    scatter(cache.values[layer], `present.${layer}.value`);
  });
}

function readLogits(rows: readonly RunnerRow[], inputs: BatchInputs, logits: ort.Tensor, vocabSize: number): RowResult[] {
  const vocab = logits.dims[2] ?? vocabSize;
  const data = logits.data as Float32Array | Uint16Array;
  return rows.map((row, b) => {
    if (!row.needsLogits) return null;
    const at = (b * inputs.newLength + inputs.newLength - 1) * vocab;
    // A copy, so the step's whole [batch, seq, vocab] buffer can be collected.
    return { logits: data instanceof Float32Array ? data.slice(at, at + vocab) : halfToFloat32(data, at, vocab) };
  });
}
