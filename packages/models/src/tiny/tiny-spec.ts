/** The shape of the generated `kvmesh-tiny-random` model and the JSON files describing it. */

/** Served name and directory name of the generated model. */
export const TINY_MODEL_NAME = "kvmesh-tiny-random";

/** Bumped whenever the generator's output changes, so an old cached copy is regenerated. */
export const TINY_MODEL_VERSION = 1;

/** Decoder dimensions (Llama-style, GQA 4 query heads over 2 KV heads). */
export interface TinyDims {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly ropeTheta: number;
  readonly rmsNormEps: number;
  /** Seed of the weight PRNG. */
  readonly seed: number;
}

/** The dimensions for a tokenizer of `vocabSize` tokens. */
export function tinyDims(vocabSize: number): TinyDims {
  return {
    hiddenSize: 64,
    intermediateSize: 128,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    vocabSize,
    contextLength: 2048,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    seed: 20240601,
  };
}

/** Ids the config files name (the tokenizer's special tokens). */
export interface TinySpecialIds {
  readonly endOfText: number;
  readonly imStart: number;
  readonly imEnd: number;
}

/** config.json, in the field names transformers uses for Llama. */
export function tinyConfigJson(dims: TinyDims, ids: TinySpecialIds): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: dims.hiddenSize,
    intermediate_size: dims.intermediateSize,
    num_hidden_layers: dims.numLayers,
    num_attention_heads: dims.numHeads,
    num_key_value_heads: dims.numKvHeads,
    head_dim: dims.headDim,
    vocab_size: dims.vocabSize,
    max_position_embeddings: dims.contextLength,
    rope_theta: dims.ropeTheta,
    rope_scaling: null,
    rms_norm_eps: dims.rmsNormEps,
    hidden_act: "silu",
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: true,
    bos_token_id: ids.endOfText,
    eos_token_id: ids.imEnd,
    pad_token_id: ids.endOfText,
    torch_dtype: "float32",
    use_cache: true,
    kvmesh_generator_version: TINY_MODEL_VERSION,
  };
}

/** generation_config.json: stop on <|im_end|> or <|endoftext|>. */
export function tinyGenerationConfigJson(dims: TinyDims, ids: TinySpecialIds): Record<string, unknown> {
  return { bos_token_id: ids.endOfText, eos_token_id: [ids.imEnd, ids.endOfText], max_length: dims.contextLength, do_sample: false };
}
