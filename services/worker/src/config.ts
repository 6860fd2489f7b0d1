/** The worker's flags (ARCHITECTURE.md "Names, flags, ports") on top of the common ones. */
import { COMMON_FLAGS, defineFlags } from "#common/config/index.js";
import type { ConfigOf } from "#common/config/index.js";

/** Flags only the worker has. Engine-dependent defaults are resolved in {@link engineDefaults}. */
export const WORKER_FLAGS = defineFlags([
  { name: "model", type: "string", help: "model directory (Hugging Face ONNX layout), Hugging Face repo id, or unset for kvmesh-tiny-random; the mocker reads its config and tokenizer" },
  { name: "model-name", type: "string", help: "served model name (default: the repo id, or the model directory's basename)" },
  { name: "engine", type: "enum", choices: ["onnx", "mocker", "echo"], default: "onnx", help: "onnx: real inference; mocker: same scheduler and blocks, simulated timing; echo: the mocker streaming back the request's own text (tests)" },
  { name: "block-size", type: "int", min: 1, max: 4096, help: "tokens per KV block (default: onnx 16, mocker 64)" },
  { name: "num-kv-blocks", type: "int", min: 1, help: "KV blocks to allocate (default: onnx enough for max-num-seqs full contexts within 1 GiB, mocker 16384)" },
  { name: "max-num-seqs", type: "int", min: 1, default: 64, help: "most sequences in one batch" },
  { name: "max-batched-tokens", type: "int", min: 1, default: 2048, help: "token budget of one scheduler step (long prefills are chunked)" },
  { name: "max-waiting", type: "int", min: 1, default: 1024, help: "most requests waiting for admission; beyond it RESOURCE_EXHAUSTED" },
  { name: "chat-template", type: "string", help: "Jinja chat template (inline, or a file path) put into the model card" },
  { name: "speedup-ratio", type: "number", min: 0.000001, default: 1, help: "mocker: simulated step times are divided by this (steps shorter than a timer tick run back to back until their sum reaches one, then sleep it)" },
  { name: "context-length", type: "int", min: 2, help: "mocker: context length (default 131072); onnx: from config.json" },
  { name: "device", type: "enum", choices: ["cpu", "cuda"], default: "cpu", help: "onnxruntime execution provider" },
  { name: "onnx-variant", type: "string", default: "", help: "which onnx/model*.onnx to load: '' model.onnx, fp16 model_fp16.onnx, q4 model_q4.onnx..." },
  { name: "intra-op-threads", type: "int", min: 1, default: 1, help: "onnxruntime intra-op threads" },
  { name: "workers", type: "int", min: 1, max: 256, default: 1, help: "mocker: workers hosted by this process (each its own server, id and registration)" },
  // 1 MiB: a few thousand events, seconds to minutes of traffic, enough for a router's reconnect;
  // a router further behind resyncs from DumpKvState, which is no bigger than the cache.
  { name: "event-ring-bytes", type: "int", min: 1, default: 1048576, help: "memory (approximate heap bytes) of the KV events retained for StreamKvEvents resumes; a router behind the oldest one resyncs with DumpKvState" },
  { name: "load-interval", type: "duration", min: 10, default: "1s", help: "period of WorkerLoad reports (NATS and StreamKvEvents)" },
]);

/** Every flag of `kvmesh worker`. */
export const WORKER_SPEC = [...COMMON_FLAGS, ...WORKER_FLAGS] as const;

/** The parsed worker config. */
export type WorkerConfig = ConfigOf<typeof WORKER_SPEC>;

/** Engine defaults that differ between onnx and the mocker (echo is the mocker). */
export function engineDefaults(engine: WorkerConfig["engine"]): { blockSize: number; contextLength: number | undefined } {
  return engine !== "onnx" ? { blockSize: 64, contextLength: 131072 } : { blockSize: 16, contextLength: undefined };
}
