/**
 * Paged K/V storage of the onnx runner and the copies between it and the dense tensors a
 * session takes and returns. One array per layer and per K / V, laid out
 * [numBlocks, kvHeads, blockSize, headDim], so one head's tokens inside one block are
 * contiguous: a gather or scatter is one `set` per (block, head) run, not per token.
 */

/** Storage of one K or V tensor: float32, or float16 kept as raw IEEE half bits. */
export type KvArray = Float32Array | Uint16Array;

/** Shape of the paged cache. */
export interface KvGeometry {
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly numKvHeads: number;
  readonly headDim: number;
}

/** Where one row sits in a dense [batch, kvHeads, length, headDim] tensor. */
export interface DenseSpan {
  readonly row: number;
  /** The tensor's sequence length (past length P, or P + S for present). */
  readonly length: number;
  /** Sequence index of the row's first token inside the tensor (after left padding). */
  readonly start: number;
}

/** Number of elements of one layer's K (or V) array. Throws when a typed array cannot hold it. */
export function kvArrayLength(geo: KvGeometry): number {
  const length = geo.numBlocks * geo.numKvHeads * geo.blockSize * geo.headDim;
  if (!Number.isSafeInteger(length) || length > 2 ** 32 - 1) {
    throw new RangeError(`${geo.numBlocks} KV blocks need ${length} elements per layer, more than one typed array holds`);
  }
  return length;
}

/** Runs of at most this many elements are copied element by element instead of with `set`. */
const SMALL_COPY = 64;

/**
 * Copies tokens [firstToken, firstToken + count) of a sequence from its blocks (slot t lives
 * in blockIds[t / blockSize] at t % blockSize) to or from a dense tensor, where token
 * firstToken + j sits at sequence index span.start + j. `toDense` picks the direction.
 */
export function copyTokens(
  store: KvArray, geo: KvGeometry, blockIds: readonly number[], firstToken: number, count: number,
  dense: KvArray, span: DenseSpan, toDense: boolean,
): void {
  const { blockSize: bs, numKvHeads: heads, headDim: dim } = geo;
  for (let j = 0; j < count;) {
    const slot = firstToken + j;
    const blockIndex = Math.floor(slot / bs);
    const block = blockIds[blockIndex];
    if (block === undefined || block < 0 || block >= geo.numBlocks) {
      throw new RangeError(`token slot ${slot} needs block index ${blockIndex}, blockIds holds ${String(block)}`);
    }
    const offset = slot % bs;
    const run = Math.min(bs - offset, count - j);
    const n = run * dim;
    for (let h = 0; h < heads; h++) {
      const storeAt = ((block * heads + h) * bs + offset) * dim;
      const denseAt = ((span.row * heads + h) * span.length + span.start + j) * dim;
      if (n <= SMALL_COPY) {
        // Decode writes one token per head (headDim values): a plain loop beats allocating a
        // subarray view per copy (measured: copyTokens was the largest JS self time at batch 64).
        if (toDense) for (let k = 0; k < n; k++) dense[denseAt + k] = store[storeAt + k];
        else for (let k = 0; k < n; k++) store[storeAt + k] = dense[denseAt + k];
      } else if (toDense) dense.set(store.subarray(storeAt, storeAt + n), denseAt);
      else store.set(dense.subarray(denseAt, denseAt + n), storeAt);
    }
    j += run;
  }
}
