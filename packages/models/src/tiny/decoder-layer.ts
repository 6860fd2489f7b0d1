/**
 * One Llama decoder layer in ONNX ops: RMSNorm → attention (RoPE, GQA, past K/V concatenated
 * in front of the new tokens, causal + padding mask) → residual → RMSNorm → SwiGLU → residual.
 */
import type { GraphBuilder } from "./graph-builder.js";
import { uniformWeights } from "./seeded-random.js";
import type { TinyDims } from "./tiny-spec.js";

/**
 * Output projections write into the residual stream 4× louder than unit variance: with tied
 * embeddings a random model otherwise keeps predicting the token it just read (the self-logit
 * ‖e‖² dominates), and its output would barely depend on the context.
 */
const RESIDUAL_GAIN = 4;

/** Values every layer shares, computed once in the graph. */
export interface LayerShared {
  /** [B,1,S,D] rotary cos / sin of the new tokens' positions. */
  readonly cos: string;
  readonly sin: string;
  /** [B,1,1,S,T] bool: query i may attend key slot j. */
  readonly allowed: string;
  readonly random: () => number;
}

/** RMSNorm over the last axis with a learned scale (initialised to ones). */
export function rmsNorm(g: GraphBuilder, x: string, name: string, dims: TinyDims): string {
  const weight = g.floats(`${name}.weight`, [dims.hiddenSize], new Float32Array(dims.hiddenSize).fill(1));
  const meanSquare = g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: [-1], keepdims: 1 });
  const rms = g.op("Sqrt", [g.op("Add", [meanSquare, g.scalar(`${name}.eps`, dims.rmsNormEps)])]);
  return g.op("Mul", [g.op("Div", [x, rms]), weight]);
}

/** A [fanIn, fanOut] weight with variance gain² / fanIn (uniform), x @ W in the graph. */
function linear(g: GraphBuilder, x: string, name: string, fanIn: number, fanOut: number, random: () => number, gain = 1): string {
  const weight = g.floats(name, [fanIn, fanOut], uniformWeights(random, fanIn * fanOut, gain * Math.sqrt(3 / fanIn)));
  return g.op("MatMul", [x, weight]);
}

/** [B,S,n·D] → [B,n,S,D]. */
function splitHeads(g: GraphBuilder, x: string, heads: number, dims: TinyDims, prefix: string): string {
  const shaped = g.op("Reshape", [x, g.ints(`${prefix}.shape`, [0, 0, heads, dims.headDim])]);
  return g.op("Transpose", [shaped], { perm: [0, 2, 1, 3] });
}

/** x·cos + rotate_half(x)·sin, with rotate_half(x) = [−x₂, x₁] (the transformers convention). */
function rotary(g: GraphBuilder, x: string, shared: LayerShared, dims: TinyDims, prefix: string): string {
  const half = dims.headDim / 2;
  const [x1, x2] = g.opMulti("Split", [x, g.ints(`${prefix}.split`, [half, half])], 2, { axis: -1 });
  const rotated = g.op("Concat", [g.op("Neg", [x2]), x1], { axis: -1 });
  return g.op("Add", [g.op("Mul", [x, shared.cos]), g.op("Mul", [rotated, shared.sin])]);
}

function attention(g: GraphBuilder, h: string, layer: number, shared: LayerShared, dims: TinyDims): string {
  const p = `layers.${layer}.attn`;
  const { numHeads, numKvHeads, headDim, hiddenSize } = dims;
  const group = numHeads / numKvHeads;
  const q = rotary(g, splitHeads(g, linear(g, h, `${p}.q.weight`, hiddenSize, numHeads * headDim, shared.random), numHeads, dims, `${p}.q`), shared, dims, `${p}.q`);
  const k = rotary(g, splitHeads(g, linear(g, h, `${p}.k.weight`, hiddenSize, numKvHeads * headDim, shared.random), numKvHeads, dims, `${p}.k`), shared, dims, `${p}.k`);
  const v = splitHeads(g, linear(g, h, `${p}.v.weight`, hiddenSize, numKvHeads * headDim, shared.random), numKvHeads, dims, `${p}.v`);
  const keys = g.op("Concat", [`past_key_values.${layer}.key`, k], { axis: 2 }, `present.${layer}.key`);
  const values = g.op("Concat", [`past_key_values.${layer}.value`, v], { axis: 2 }, `present.${layer}.value`);
  // GQA without copying K/V: query heads grouped as [B, kvHeads, group, S, D] against
  // [B, kvHeads, 1, T, D], broadcast by MatMul (query head h uses KV head h / group).
  const grouped = g.op("Reshape", [q, g.ints(`${p}.group`, [0, numKvHeads, group, -1, headDim])]);
  const keysT = g.op("Unsqueeze", [g.op("Transpose", [keys], { perm: [0, 1, 3, 2] }), g.ints(`${p}.axis2k`, [2])]);
  const scores = g.op("Mul", [g.op("MatMul", [grouped, keysT]), g.scalar(`${p}.scale`, 1 / Math.sqrt(headDim))]);
  // A large finite negative, not −inf: a padding query that sees no key gets a uniform row, not NaN.
  const masked = g.op("Where", [shared.allowed, scores, g.scalar(`${p}.masked`, -1e9)]);
  const probs = g.op("Softmax", [masked], { axis: -1 });
  const context = g.op("MatMul", [probs, g.op("Unsqueeze", [values, g.ints(`${p}.axis2v`, [2])])]);
  const heads = g.op("Reshape", [context, g.ints(`${p}.ungroup`, [0, numHeads, -1, headDim])]);
  const merged = g.op("Reshape", [g.op("Transpose", [heads], { perm: [0, 2, 1, 3] }), g.ints(`${p}.merge`, [0, 0, numHeads * headDim])]);
  return linear(g, merged, `${p}.o.weight`, numHeads * headDim, hiddenSize, shared.random, RESIDUAL_GAIN);
}

function swiGlu(g: GraphBuilder, h: string, layer: number, shared: LayerShared, dims: TinyDims): string {
  const p = `layers.${layer}.mlp`;
  const gate = linear(g, h, `${p}.gate.weight`, dims.hiddenSize, dims.intermediateSize, shared.random);
  const up = linear(g, h, `${p}.up.weight`, dims.hiddenSize, dims.intermediateSize, shared.random);
  const silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])]);
  return linear(g, g.op("Mul", [silu, up]), `${p}.down.weight`, dims.intermediateSize, dims.hiddenSize, shared.random, RESIDUAL_GAIN);
}

/** Appends layer `layer` to the graph; returns the residual stream after it. */
export function decoderLayer(g: GraphBuilder, x: string, layer: number, shared: LayerShared, dims: TinyDims): string {
  const afterAttention = g.op("Add", [x, attention(g, rmsNorm(g, x, `layers.${layer}.input_norm`, dims), layer, shared, dims)]);
  return g.op("Add", [afterAttention, swiGlu(g, rmsNorm(g, afterAttention, `layers.${layer}.post_norm`, dims), layer, shared, dims)]);
}
