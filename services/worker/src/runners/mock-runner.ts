/**
 * The mocker's ModelRunner: no model, simulated step time (Dynamo's mocker timing model) and a
 * token that is a hash of (seed, request key, output index), never an eos id. Output therefore
 * does not depend on batching, caching or preemption, and continues identically after migration.
 */
import { xxh3 } from "@node-rs/xxhash";
import { echoTokenId } from "./echo-token.js";
import type { ModelRunner, RowResult, RunnerRow } from "./model-runner.js";

/** Options of createMockRunner. */
export interface MockRunnerOptions {
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly vocabSize: number;
  /** Never produced. */
  readonly eosTokenIds: readonly number[];
  /** Lowest id produced (special tokens sit below it). */
  readonly firstNonSpecialTokenId?: number;
  /** Simulated times are divided by this; Infinity means no delay (tests). Default 1. */
  readonly speedupRatio?: number;
  /** Echo engine: replay each request's echo tokens (then eos) instead of hashed tokens. */
  readonly echo?: boolean;
  /** How to wait (default setTimeout). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Wall clock in ms (default performance.now). */
  readonly now?: () => number;
}

/** Shortest wait a timer keeps: node runs setTimeout(f, 0.01) after 1 ms like setTimeout(f, 1). */
export const TIMER_GRANULARITY_MS = 1;

/**
 * Paces simulated step times on the wall clock. Each step ends at `due` = (the later of the
 * previous step's end and now) + its time; a step sleeps only once the simulated time is at
 * least one timer tick ahead of the wall clock. Sleeping every step's own time instead made each
 * step take at least 1 ms: at --speedup-ratio 10000 a 16-token prefill (16.7 ms simulated,
 * 1.7 µs scaled) took 1 ms and a stream ran at 1,000 tokens/s whatever the ratio, so the
 * "engine that costs almost nothing" of bench:mesh cost 1 ms per token.
 */
export function stepPacer(sleep: (ms: number) => Promise<void>, now: () => number): (ms: number) => Promise<void> {
  let due = -Infinity;
  return async (ms) => {
    const start = now();
    due = Math.max(due, start) + ms;
    const ahead = due - start;
    if (ahead >= TIMER_GRANULARITY_MS) await sleep(ahead);
  };
}

/** Dynamo mocker prefill time in ms for `tokens` uncached tokens in a step. */
export function prefillMs(tokens: number): number {
  return 4.209989e-7 * tokens * tokens + 0.01518344 * tokens + 16.50142;
}

/** Dynamo mocker decode time in ms at KV usage fraction `usage` (floored at 1 ms). */
export function decodeMs(usage: number): number {
  return Math.max(1, -25.74 * usage * usage + 54.01 * usage + 5.74);
}

/**
 * Whether the mock runner times `row` as a decode row: it feeds one token after computed ones
 * and needs logits (the runner cannot tell a one-token prompt chunk from it; the error is tiny).
 */
export function isDecodeRow(row: RunnerRow): boolean {
  return row.newTokenIds.length === 1 && row.numComputedTokens > 0 && row.needsLogits;
}

/**
 * Simulated time of one step: prefill time when the step feeds prompt tokens plus decode time
 * when it has decode rows ({@link isDecodeRow}).
 */
export function stepMs(rows: readonly RunnerRow[], kvUsage: number): number {
  let prefillTokens = 0;
  let decodeRows = 0;
  for (const row of rows) {
    if (isDecodeRow(row)) decodeRows++;
    else prefillTokens += row.newTokenIds.length;
  }
  return (prefillTokens > 0 ? prefillMs(prefillTokens) : 0) + (decodeRows > 0 ? decodeMs(kvUsage) : 0);
}

/** The token of (seed, requestKey, outputIndex): uniform over [first, vocabSize) minus eos ids. */
export function mockTokenId(seed: bigint, requestKey: string, outputIndex: number, vocabSize: number, eos: readonly number[], first = 0): number {
  const excluded = [...new Set(eos)].filter((id) => id >= first && id < vocabSize).sort((a, b) => a - b);
  const count = vocabSize - first - excluded.length;
  if (count <= 0) throw new RangeError(`no token to produce in [${first}, ${vocabSize}) without eos ids`);
  const hash = xxh3.xxh64(Buffer.from(`${seed}:${requestKey}:${outputIndex}`, "utf8"), 0x6d6f636bn);
  let id = first + Number(hash % BigInt(count));
  // Shift past each excluded id at or below the candidate, in ascending order.
  for (const e of excluded) if (e <= id) id++;
  return id;
}

/** A ModelRunner without a model. */
export function createMockRunner(options: MockRunnerOptions): ModelRunner {
  const { numBlocks, blockSize, vocabSize, eosTokenIds } = options;
  const first = options.firstNonSpecialTokenId ?? 0;
  const speedup = options.speedupRatio ?? 1;
  if (!(speedup > 0)) throw new RangeError(`speedupRatio must be > 0, got ${speedup}`);
  const pace = stepPacer(options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))), options.now ?? (() => performance.now()));
  mockTokenId(0n, "", 0, vocabSize, eosTokenIds, first); // fail now, not mid-stream, on an empty range
  return {
    numBlocks,
    blockSize,
    vocabSize,
    async execute(rows: readonly RunnerRow[], kvUsage: number): Promise<RowResult[]> {
      if (rows.length === 0) return [];
      const ms = stepMs(rows, kvUsage) / speedup;
      if (ms > 0) await pace(ms);
      return rows.map((row): RowResult => {
        if (!row.needsLogits) return null;
        const key = row.mockToken ?? { seed: 0n, requestKey: "", outputIndex: row.numComputedTokens + row.newTokenIds.length };
        if (options.echo) return { tokenId: echoTokenId(key, eosTokenIds) };
        return { tokenId: mockTokenId(key.seed, key.requestKey, key.outputIndex, vocabSize, eosTokenIds, first) };
      });
    },
    async close(): Promise<void> {},
  };
}
