/** Creates the onnxruntime-node session of a decoder, on CPU or (untested here) CUDA. */
import * as ort from "onnxruntime-node";
import { ModelLoadError } from "#models/model-errors.js";

/** Where the session runs. */
export type OnnxDevice = "cpu" | "cuda";

/** Options of createDecoderSession. */
export interface DecoderSessionOptions {
  readonly device: OnnxDevice;
  /** onnxruntime intra-op threads; tests use 1. */
  readonly intraOpThreads: number;
}

/**
 * Opens the ONNX file with sequential execution. With device "cuda" the CUDA execution
 * provider is required: if it cannot load (onnxruntime-node's CUDA libraries are not
 * installed by default) this throws ModelLoadError instead of silently running on CPU.
 */
export async function createDecoderSession(onnxPath: string, options: DecoderSessionOptions): Promise<ort.InferenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [options.device],
    executionMode: "sequential",
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  };
  try {
    return await ort.InferenceSession.create(onnxPath, sessionOptions);
  } catch (err) {
    const detail = firstLine((err as Error).message);
    if (options.device === "cuda") {
      throw new ModelLoadError(
        `--device cuda: onnxruntime-node's CUDA execution provider could not be loaded (install onnxruntime-node ` +
          `with its CUDA libraries, e.g. without onnxruntime-node-install=skip, or use --device cpu): ${detail}`,
      );
    }
    throw new ModelLoadError(`cannot load ONNX model ${onnxPath}: ${detail}`);
  }
}

function firstLine(message: string): string {
  // onnxruntime's messages carry ANSI colour codes and a multi-line native trace.
  return message.replace(/\u001b\[[0-9;]*m/g, "").split("\n")[0].trim();
}
