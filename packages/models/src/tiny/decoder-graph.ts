/**
 * The whole tiny decoder as an ONNX model with the same input/output contract as the
 * Hugging Face ONNX exports (stories260K): input_ids, attention_mask, position_ids,
 * past_key_values.N.key/value in; logits, present.N.key/value out. Opset 17, CPU-supported ops.
 */
import { GraphBuilder } from "./graph-builder.js";
import { decoderLayer, rmsNorm } from "./decoder-layer.js";
import type { LayerShared } from "./decoder-layer.js";
import { encodeOnnxModel, OnnxDataType } from "./onnx-proto.js";
import { seededUniform, uniformWeights } from "./seeded-random.js";
import type { TinyDims } from "./tiny-spec.js";

const OPSET = 17;
const IR_VERSION = 8;
const EMBEDDING_STD = 0.3;

/**
 * θ^(−2i/D) for i < D/2 by repeated square roots and products, which IEEE 754 rounds exactly,
 * so the bytes are the same everywhere (Math.pow need not be). Requires D/2 a power of two.
 */
export function inverseFrequencies(theta: number, headDim: number): Float32Array {
  const half = headDim / 2;
  let step = 1 / theta;
  for (let n = half; n > 1; n /= 2) step = Math.sqrt(step);
  const out = new Float32Array(half);
  let value = 1;
  for (let i = 0; i < half; i++, value *= step) out[i] = value;
  return out;
}

/** cos / sin [B,1,S,D] of position_ids. */
function rotaryTables(g: GraphBuilder, dims: TinyDims): { cos: string; sin: string } {
  const positions = g.op("Unsqueeze", [g.op("Cast", ["position_ids"], { to: OnnxDataType.FLOAT }), g.ints("rope.axis2", [2])]);
  const freqs = g.op("Mul", [positions, g.floats("rope.inv_freq", [dims.headDim / 2], inverseFrequencies(dims.ropeTheta, dims.headDim))]);
  const angles = g.op("Unsqueeze", [g.op("Concat", [freqs, freqs], { axis: -1 }), g.ints("rope.axis1", [1])]);
  return { cos: g.op("Cos", [angles]), sin: g.op("Sin", [angles]) };
}

/**
 * [B,1,1,S,T] bool. New token i sits at slot T − S + i of the past+new sequence; it may see
 * slot j when j ≤ its slot (causal) and attention_mask[b, j] = 1 (left padding of past or new).
 */
function attentionAllowed(g: GraphBuilder): string {
  const axis0 = g.ints("mask.axis0", [0]);
  const scalarDim = (tensor: string, index: number): string => g.op("Squeeze", [g.op("Shape", [tensor], { start: index, end: index + 1 }), axis0]);
  const total = scalarDim("attention_mask", 1);
  const fresh = scalarDim("input_ids", 1);
  const zero = g.intScalar("mask.zero", 0);
  const one = g.intScalar("mask.one", 1);
  const keySlots = g.op("Unsqueeze", [g.op("Range", [zero, total, one]), axis0]);
  const querySlots = g.op("Add", [g.op("Range", [zero, fresh, one]), g.op("Sub", [total, fresh])]);
  const causal = g.op("LessOrEqual", [keySlots, g.op("Unsqueeze", [querySlots, g.ints("mask.axis1", [1])])]);
  const padding = g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], { to: OnnxDataType.BOOL }), g.ints("mask.axes123", [1, 2, 3])]);
  return g.op("And", [g.op("Unsqueeze", [causal, g.ints("mask.axes01", [0, 1])]), padding]);
}

function declareInterface(g: GraphBuilder, dims: TinyDims): void {
  g.input("input_ids", OnnxDataType.INT64, ["batch_size", "sequence_length"]);
  g.input("attention_mask", OnnxDataType.INT64, ["batch_size", "total_sequence_length"]);
  g.input("position_ids", OnnxDataType.INT64, ["batch_size", "sequence_length"]);
  g.output("logits", OnnxDataType.FLOAT, ["batch_size", "sequence_length", dims.vocabSize]);
  for (let layer = 0; layer < dims.numLayers; layer++) {
    for (const kind of ["key", "value"]) {
      g.input(`past_key_values.${layer}.${kind}`, OnnxDataType.FLOAT, ["batch_size", dims.numKvHeads, "past_sequence_length", dims.headDim]);
      g.output(`present.${layer}.${kind}`, OnnxDataType.FLOAT, ["batch_size", dims.numKvHeads, "total_sequence_length", dims.headDim]);
    }
  }
}

/** The .onnx bytes of a randomly initialised (seeded) decoder of `dims`. */
export function buildTinyDecoder(dims: TinyDims): Uint8Array {
  if (dims.numHeads % dims.numKvHeads !== 0) throw new RangeError("numHeads must be a multiple of numKvHeads");
  const g = new GraphBuilder();
  declareInterface(g, dims);
  const random = seededUniform(dims.seed);
  // Embeddings of std 0.3, tied to the lm head: logits of std ≈ 2.4, so sampling at
  // temperature 1 varies, while greedy top-2 gaps stay far above float rounding (the batched,
  // cached and plain paths agree exactly).
  const embedding = g.floats("embed_tokens.weight", [dims.vocabSize, dims.hiddenSize], uniformWeights(random, dims.vocabSize * dims.hiddenSize, EMBEDDING_STD * Math.sqrt(3)));
  const shared: LayerShared = { ...rotaryTables(g, dims), allowed: attentionAllowed(g), random };
  let x = g.op("Gather", [embedding, "input_ids"], { axis: 0 });
  for (let layer = 0; layer < dims.numLayers; layer++) x = decoderLayer(g, x, layer, shared, dims);
  const normed = rmsNorm(g, x, "final_norm", dims);
  g.op("MatMul", [normed, g.op("Transpose", [embedding], { perm: [1, 0] })], {}, "logits");
  return encodeOnnxModel({
    irVersion: IR_VERSION,
    producerName: "kvmesh",
    producerVersion: "tiny-random",
    opsetImport: [{ domain: "", version: OPSET }],
    graph: { name: "kvmesh_tiny_random", node: g.nodes, initializer: g.initializers, input: g.inputs, output: g.outputs },
  });
}
