/** Errors raised while loading a model directory or checking its ONNX decoder. */

/**
 * A model directory or ONNX session that cannot be served: a missing file, an unknown
 * variant, a config without the dimensions the runner needs, or a decoder whose inputs and
 * outputs do not follow the contract. The message says exactly what is wrong.
 */
export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";
}
