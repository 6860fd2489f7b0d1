/**
 * Trace replay: each Mooncake record becomes one request sent at its (scaled) timestamp, whose
 * i-th block is synthesised from hash_ids[i] alone. Equal ids therefore give equal blocks, and
 * two requests share exactly the prefix over which their id lists agree, as in the trace.
 */
import { seededRandom } from "#common/seeded-random.js";
import { mixSeed, randomTokens } from "./rng.js";
import type { TraceRecord } from "./trace-parser.js";
import type { BenchRequest, RequestChain, TokenRange, Workload } from "./types.js";

/** The block size of the published trace. */
export const MOONCAKE_BLOCK_SIZE = 512;

/** Knobs of {@link traceWorkload}. */
export interface TraceOptions {
  readonly records: readonly TraceRecord[];
  /** Send time = timestamp × timeScale (0.5 replays twice as fast). */
  readonly timeScale: number;
  /**
   * Tokens per hash id. 512 is the trace's own; small models take fewer, and input lengths
   * shrink in the same proportion so the block structure is kept.
   */
  readonly blockSize: number;
  /** Longest prompt + output the model takes; longer prompts are cut (keeping their prefix). */
  readonly maxModelLen?: number;
  /** Outputs longer than this are cut (a 260K-parameter model need not write 800 tokens). */
  readonly maxOutputLen?: number;
  readonly seed: number;
  readonly tokens: TokenRange;
}

/** The tokens of the block named `hashId`: a pure function of (seed, id). */
export function blockTokens(hashId: number, blockSize: number, seed: number, tokens: TokenRange): number[] {
  return randomTokens(seededRandom(mixSeed(seed, hashId)), blockSize, tokens);
}

/** The prompt length of a record once each hash id stands for `blockSize` tokens. */
export function scaledPromptLen(record: TraceRecord, blockSize: number): number {
  const n = record.hashIds.length;
  const scaled = Math.round((record.inputLength * blockSize) / MOONCAKE_BLOCK_SIZE);
  if (n === 0) return Math.max(1, scaled);
  // Keep the last block partial-or-full but present, whatever the rounding did.
  return Math.min(n * blockSize, Math.max((n - 1) * blockSize + 1, scaled));
}

/** The workload: one single-request chain per record, due at its scaled timestamp. */
export function traceWorkload(options: TraceOptions): Workload {
  const { records, timeScale, blockSize, seed, tokens } = options;
  const maxOutput = options.maxOutputLen ?? Number.MAX_SAFE_INTEGER;
  const chains: RequestChain[] = records.map((record, i): RequestChain => {
    const outputLen = Math.max(1, Math.min(maxOutput, record.outputLength));
    const limit = options.maxModelLen === undefined ? Number.MAX_SAFE_INTEGER : Math.max(1, options.maxModelLen - outputLen);
    const promptLen = Math.min(limit, scaledPromptLen(record, blockSize));
    const prompt = (): number[] => {
      // A record without ids still needs tokens: key them by its index, below every real id.
      const ids = record.hashIds.length > 0 ? record.hashIds : [-1 - i];
      const out: number[] = [];
      for (const id of ids) {
        if (out.length >= promptLen) break;
        out.push(...blockTokens(id, blockSize, seed, tokens));
      }
      while (out.length < promptLen) out.push(...randomTokens(seededRandom(mixSeed(seed, -1 - i, out.length)), blockSize, tokens));
      return out.slice(0, promptLen);
    };
    const request: BenchRequest = { id: `t${i}`, promptLen, prompt, outputLen, thinkMs: 0 };
    return { atMs: record.timestamp * timeScale, requests: [request] };
  });
  return { name: "trace", params: { requests: records.length, timeScale, blockSize, seed, ...(options.maxOutputLen ? { maxOutputLen: maxOutput } : {}) }, chains };
}
