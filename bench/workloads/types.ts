/**
 * What every workload generator produces: chains of requests. A chain is one conversation (a
 * single request for most workloads); its next request is sent only after the previous one
 * finished plus its think time, which is how multi-turn history can build on earlier turns.
 */

/** One request to send: token-id prompt and the output length to force (ignore_eos). */
export interface BenchRequest {
  /** Unique within the workload, e.g. `g3-r17` or `s2-t4`. */
  readonly id: string;
  /** Number of prompt tokens; equals `prompt().length`. */
  readonly promptLen: number;
  /**
   * The prompt's token ids, built on demand: a replayed trace holds thousands of prompts of
   * tens of thousands of tokens, which need not all sit in memory at once.
   */
  readonly prompt: () => number[];
  /** max_tokens of the request (sent with ignore_eos, so the server produces exactly this many). */
  readonly outputLen: number;
  /** Milliseconds to wait after the previous request of the chain completed (0 for the first). */
  readonly thinkMs: number;
}

/** Requests sent one after another. */
export interface RequestChain {
  /** When the chain's first request is due, ms after the run starts (traces); absent: as soon as a slot is free. */
  readonly atMs?: number;
  readonly requests: readonly BenchRequest[];
}

/** A generated workload. */
export interface Workload {
  /** `shared-prefix`, `multi-turn` or `trace`. */
  readonly name: string;
  /** The knobs it was generated with, for the report. */
  readonly params: Readonly<Record<string, string | number>>;
  readonly chains: readonly RequestChain[];
}

/** The token-id range every generator draws from: [firstId, vocabSize); ids below are special tokens. */
export interface TokenRange {
  readonly vocabSize: number;
  /** Lowest id used (3 by default: 0–2 are pad/bos/eos in Llama vocabularies). */
  readonly firstId: number;
}

/** Default {@link TokenRange} for a vocabulary of `vocabSize` ids. */
export function tokenRange(vocabSize: number, firstId = 3): TokenRange {
  if (vocabSize <= firstId) throw new RangeError(`vocab size ${vocabSize} leaves no token id at or above ${firstId}`);
  return { vocabSize, firstId };
}
