// The reference decoder for engine tests: no cache, the whole sequence fed every step, batch of
// one, straight on an onnxruntime session. Anything the engine does differently shows up here.
import * as ort from "onnxruntime-node";

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The K/V geometry the empty past inputs need. */
export interface PastDims {
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
}

/** The geometry from the session's input metadata (when its shapes are static). */
function dimsOf(session: ort.InferenceSession): PastDims {
  const layers = session.inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  const meta = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
  const shape = meta && "shape" in meta ? meta.shape : [];
  return { layers, heads: Number(shape[1]), headDim: Number(shape[3]) };
}

/** Greedy continuation of `prompt` by `newTokens` tokens (the model's K/V inputs fed empty). */
export async function plainGreedy(session: ort.InferenceSession, prompt: readonly number[], newTokens: number, dims: PastDims = dimsOf(session)): Promise<number[]> {
  const { layers, heads, headDim } = dims;
  const ids = [...prompt];
  for (let step = 0; step < newTokens; step++) {
    const n = ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
      position_ids: new ort.Tensor("int64", BigInt64Array.from(ids.keys(), BigInt), [1, n]),
    };
    for (let layer = 0; layer < layers; layer++) {
      for (const kind of ["key", "value"]) feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [1, heads, 0, headDim]);
    }
    const logits = (await session.run(feeds)).logits;
    const vocab = logits.dims[2];
    ids.push(argmax((logits.data as Float32Array).subarray((n - 1) * vocab, n * vocab)));
  }
  return ids.slice(prompt.length);
}
