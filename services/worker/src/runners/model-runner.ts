/**
 * The seam between the engine (scheduling, blocks, sampling) and whatever computes tokens.
 * The onnx runner owns the K/V bytes of every physical block; the mock runner only simulates
 * the time a step takes. Neither knows about requests' lifecycles.
 */

/** One sequence's share of a forward step. */
export interface RunnerRow {
  /** Tokens fed this step: the uncached prompt tokens, or the last sampled token. */
  readonly newTokenIds: readonly number[];
  /** Tokens whose K/V are already stored in `blockIds` (the position of newTokenIds[0]). */
  readonly numComputedTokens: number;
  /**
   * Physical blocks of the sequence, in order; they cover numComputedTokens +
   * newTokenIds.length tokens. The runner reads past K/V from them and writes the new K/V in.
   */
  readonly blockIds: readonly number[];
  /** Whether the last position's next-token distribution is needed (not for a mid-prompt chunk). */
  readonly needsLogits: boolean;
  /** Mock runner only: what decides the simulated token (seed, request, output index). */
  readonly mockToken?: MockTokenKey;
}

/** What the mock runner's token depends on. */
export interface MockTokenKey {
  readonly seed: bigint;
  readonly requestKey: string;
  readonly outputIndex: number;
  /**
   * Echo mode: where the tokens to replay come from, output index i giving echoTokenIds[i] (the
   * request itself: its getter copies the prompt only when an echo runner reads it).
   */
  readonly echo?: { readonly echoTokenIds: readonly number[] };
}

/** Per row: next-token logits (onnx), a decided token (mock), or nothing (needsLogits false). */
export type RowResult = { readonly logits: Float32Array } | { readonly tokenId: number } | null;

export interface ModelRunner {
  /** Number of physical KV blocks the runner allocated. */
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly vocabSize: number;
  /** One batched forward call for every row. */
  execute(rows: readonly RunnerRow[], kvUsage: number): Promise<RowResult[]>;
  /** Release sessions and buffers. */
  close(): Promise<void>;
}
