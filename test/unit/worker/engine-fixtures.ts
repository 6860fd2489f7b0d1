/**
 * Test fixtures for the engine: a toy runner whose logits are a pure function of the whole token
 * context, read back from the blocks it was given (so a block-management bug changes the
 * output), plus helpers to run requests to completion and replay KV events.
 */
import { xxh3 } from "@node-rs/xxhash";
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";
import { EngineCore } from "../../../services/worker/src/engine/engine-core.js";
import type { EngineCoreOptions } from "../../../services/worker/src/engine/engine-core.js";
import type { EngineOutput, EngineRequestParams } from "../../../services/worker/src/engine/engine-types.js";
import { streamRequest } from "../../../services/worker/src/engine/request-stream.js";
import type { ModelRunner, RowResult, RunnerRow } from "../../../services/worker/src/runners/model-runner.js";
import { DEFAULT_SAMPLING, DEFAULT_STOP } from "../../../services/worker/src/sampling/sampling-params.js";
import type { SamplingOptions, StopOptions } from "../../../services/worker/src/sampling/sampling-params.js";

/** Logits of the toy model for a context: deterministic pseudo-random values in [-4, 4). */
export function toyLogits(context: readonly number[], vocabSize: number): Float32Array {
  const bytes = Buffer.alloc(context.length * 4);
  context.forEach((t, i) => bytes.writeUInt32LE(t, i * 4));
  const h = xxh3.xxh64(bytes, 42n);
  const out = new Float32Array(vocabSize);
  for (let v = 0; v < vocabSize; v++) {
    const x = xxh3.xxh64(Buffer.from(`${h}:${v}`), 7n);
    out[v] = (Number(x % 8000n) / 1000) - 4;
  }
  return out;
}

/** A runner that keeps token ids in its blocks, the way a real one keeps K/V. */
export class ToyRunner implements ModelRunner {
  readonly slots: Int32Array;
  calls = 0;
  maxRows = 0;

  constructor(readonly numBlocks: number, readonly blockSize: number, readonly vocabSize = 32) {
    this.slots = new Int32Array(numBlocks * blockSize).fill(-1);
  }

  async execute(rows: readonly RunnerRow[]): Promise<RowResult[]> {
    this.calls++;
    this.maxRows = Math.max(this.maxRows, rows.length);
    return rows.map((row) => {
      const context: number[] = [];
      for (let pos = 0; pos < row.numComputedTokens; pos++) {
        const t = this.slots[this.slot(row, pos)];
        if (t < 0) throw new Error(`position ${pos} read from a block never written`);
        context.push(t);
      }
      row.newTokenIds.forEach((t, i) => {
        this.slots[this.slot(row, row.numComputedTokens + i)] = t;
        context.push(t);
      });
      return row.needsLogits ? { logits: toyLogits(context, this.vocabSize) } : null;
    });
  }

  async close(): Promise<void> {}

  private slot(row: RunnerRow, pos: number): number {
    const block = row.blockIds[Math.floor(pos / this.blockSize)];
    if (block === undefined) throw new Error(`no block for position ${pos}`);
    return block * this.blockSize + (pos % this.blockSize);
  }
}

/** Engine options with generous limits, overridable. */
export function engineWith(runner: ModelRunner, over: Partial<EngineCoreOptions> = {}): EngineCore {
  return new EngineCore({
    runner,
    maxNumSeqs: 8,
    maxBatchedTokens: 4096,
    maxWaiting: 64,
    contextLength: 4096,
    eosTokenIds: [],
    yieldToEventLoop: () => Promise.resolve(),
    ...over,
  });
}

/** Request params with defaults. */
export function params(
  requestId: string,
  tokenIds: readonly number[],
  stop: Partial<StopOptions> = {},
  sampling: Partial<SamplingOptions> = {},
  resumeFromIndex?: number,
): EngineRequestParams {
  return { requestId, tokenIds, stop: { ...DEFAULT_STOP, ...stop }, sampling: { ...DEFAULT_SAMPLING, ...sampling }, resumeFromIndex };
}

/** A finished stream: its tokens (with indexes checked contiguous) and its last output. */
export interface Collected {
  readonly tokens: number[];
  readonly firstIndex: number;
  readonly outputs: EngineOutput[];
  readonly last: EngineOutput;
}

/** Runs one request to its end. */
export async function collect(engine: EngineCore, p: EngineRequestParams): Promise<Collected> {
  const outputs: EngineOutput[] = [];
  for await (const o of streamRequest(engine, p)) outputs.push(o);
  const tokens = outputs.flatMap((o) => o.tokenIds);
  const firstIndex = outputs[0].index;
  let next = firstIndex;
  for (const o of outputs) {
    if (o.index !== next) throw new Error(`index gap: expected ${next}, got ${o.index}`);
    next += o.tokenIds.length;
  }
  return { tokens, firstIndex, outputs, last: outputs[outputs.length - 1] };
}

/** The cache a router would hold after applying `events`: sequence hash → parent. */
export function replay(events: readonly KvEvent[], into = new Map<bigint, bigint | undefined>()): Map<bigint, bigint | undefined> {
  for (const e of events) {
    const d = e.data;
    if (d?.$case === "stored") {
      let parent = d.stored.parentSequenceHash;
      for (const b of d.stored.blocks) {
        into.set(b.sequenceHash, parent);
        parent = b.sequenceHash;
      }
    } else if (d?.$case === "removed") {
      for (const h of d.removed.sequenceHashes) into.delete(h);
    } else if (d?.$case === "cleared") {
      into.clear();
    }
  }
  return into;
}

/** `n` distinct-ish tokens from a seed, in [lo, vocab). */
export function tokens(n: number, seed: number, vocab = 32, lo = 3): number[] {
  let x = seed >>> 0;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return lo + (x % (vocab - lo));
  });
}
