/** Checks that an ONNX session is a decoder with the KV-cache contract the runner drives. */
import type { DecoderDims } from "./model-config.js";
import { ModelLoadError } from "./model-errors.js";

/** Element type of the K/V tensors. float16 is stored as raw IEEE half bits (Uint16Array). */
export type KvDtype = "float32" | "float16";

/** The parts of an onnxruntime InferenceSession the check reads (kept structural for tests). */
export interface SessionSignature {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly { readonly name: string; readonly isTensor: boolean; readonly type?: string; readonly shape?: readonly (number | string)[] }[];
}

/** Input and output names the runner feeds and reads for a model with `numLayers` layers. */
export function decoderContractNames(numLayers: number): { inputs: string[]; outputs: string[] } {
  const inputs = ["input_ids", "attention_mask", "position_ids"];
  const outputs = ["logits"];
  for (let layer = 0; layer < numLayers; layer++) {
    inputs.push(`past_key_values.${layer}.key`, `past_key_values.${layer}.value`);
    outputs.push(`present.${layer}.key`, `present.${layer}.value`);
  }
  return { inputs, outputs };
}

/**
 * Verifies names, the K/V dtype (one dtype for every layer) and, where the graph fixes them,
 * the KV-head and head-dim sizes against config.json. Returns the K/V dtype. Throws
 * ModelLoadError listing every missing input and output.
 */
export function checkDecoderContract(session: SessionSignature, dims: DecoderDims): KvDtype {
  const expected = decoderContractNames(dims.numLayers);
  const missingIn = expected.inputs.filter((name) => !session.inputNames.includes(name));
  const missingOut = expected.outputs.filter((name) => !session.outputNames.includes(name));
  if (missingIn.length > 0 || missingOut.length > 0) {
    const parts = [];
    if (missingIn.length > 0) parts.push(`missing inputs: ${missingIn.join(", ")}`);
    if (missingOut.length > 0) parts.push(`missing outputs: ${missingOut.join(", ")}`);
    throw new ModelLoadError(`ONNX model is not a KV-cache decoder (${parts.join("; ")})`);
  }
  const extra = session.inputNames.filter((name) => !expected.inputs.includes(name));
  if (extra.length > 0) throw new ModelLoadError(`ONNX model has inputs the runner cannot feed: ${extra.join(", ")}`);
  const kvMeta = session.inputMetadata.filter((meta) => meta.name.startsWith("past_key_values."));
  const dtypes = new Set(kvMeta.map((meta) => meta.type));
  if (dtypes.size !== 1) throw new ModelLoadError(`K/V inputs must share one dtype, found: ${[...dtypes].join(", ")}`);
  const dtype = [...dtypes][0];
  if (dtype !== "float32" && dtype !== "float16") {
    throw new ModelLoadError(`K/V dtype ${String(dtype)} is not supported (float32 or float16)`);
  }
  for (const meta of kvMeta) checkKvShape(meta.name, meta.shape, dims);
  return dtype;
}

function checkKvShape(name: string, shape: readonly (number | string)[] | undefined, dims: DecoderDims): void {
  if (shape === undefined) return;
  if (shape.length !== 4) throw new ModelLoadError(`${name} must be 4-D [batch, kv_heads, past, head_dim], got [${shape.join(", ")}]`);
  const [, heads, , headDim] = shape;
  if (typeof heads === "number" && heads !== dims.numKvHeads) {
    throw new ModelLoadError(`${name} has ${heads} KV heads but config.json says ${dims.numKvHeads}`);
  }
  if (typeof headDim === "number" && headDim !== dims.headDim) {
    throw new ModelLoadError(`${name} has head_dim ${headDim} but config.json says ${dims.headDim}`);
  }
}
