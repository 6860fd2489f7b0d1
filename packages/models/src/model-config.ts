/** The dimensions the runner needs, read from a Hugging Face config.json. */
import { ModelLoadError } from "./model-errors.js";

/** Decoder dimensions that size the paged K/V cache. */
export interface DecoderDims {
  readonly numLayers: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  /** max_position_embeddings (or n_positions for GPT-2 style configs). */
  readonly contextLength: number;
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Reads layer count, KV heads, head dim, vocab and context length from config.json.
 * Llama-style names first, GPT-2 style names as fallback; KV heads default to the attention
 * heads (no GQA) and head_dim to hidden_size / num_attention_heads, as transformers does.
 * Throws ModelLoadError naming every field that could not be derived.
 */
export function decoderDimsFromConfig(config: Record<string, unknown>): DecoderDims {
  const heads = positiveInt(config.num_attention_heads) ?? positiveInt(config.n_head);
  const hidden = positiveInt(config.hidden_size) ?? positiveInt(config.n_embd);
  const numLayers = positiveInt(config.num_hidden_layers) ?? positiveInt(config.n_layer);
  const numKvHeads = positiveInt(config.num_key_value_heads) ?? heads;
  const derivedHeadDim = heads && hidden && hidden % heads === 0 ? hidden / heads : undefined;
  const headDim = positiveInt(config.head_dim) ?? derivedHeadDim;
  const vocabSize = positiveInt(config.vocab_size);
  const contextLength = positiveInt(config.max_position_embeddings) ?? positiveInt(config.n_positions);
  const missing: string[] = [];
  if (numLayers === undefined) missing.push("num_hidden_layers");
  if (numKvHeads === undefined) missing.push("num_key_value_heads (or num_attention_heads)");
  if (headDim === undefined) missing.push("head_dim (or hidden_size / num_attention_heads)");
  if (vocabSize === undefined) missing.push("vocab_size");
  if (contextLength === undefined) missing.push("max_position_embeddings");
  if (missing.length > 0) {
    throw new ModelLoadError(`config.json lacks positive integer fields: ${missing.join(", ")}`);
  }
  return { numLayers: numLayers!, numKvHeads: numKvHeads!, headDim: headDim!, vocabSize: vocabSize!, contextLength: contextLength! };
}

/**
 * End-of-sequence ids: generation_config.json's eos_token_id (number or list) wins, then
 * config.json's; none at all gives an empty list (generation then stops on length only).
 */
export function eosTokenIdsFrom(generationConfig: Record<string, unknown>, config: Record<string, unknown>): number[] {
  for (const source of [generationConfig.eos_token_id, config.eos_token_id]) {
    if (typeof source === "number") return [source];
    if (Array.isArray(source) && source.every((id) => typeof id === "number")) return [...source];
  }
  return [];
}
