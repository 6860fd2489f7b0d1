/**
 * The size and range limits every door of the mesh agrees on, in one place (ARCHITECTURE.md
 * "Size limits"): what enters the mesh is capped at the body cap; internal responses that carry
 * files or state get their own, larger cap; numbers are range-checked against what their proto
 * field can hold before anything is encoded.
 */

/**
 * Default cap on what enters the mesh: an HTTP body, a gRPC Frontend or Preprocessor request
 * (`--max-body-bytes`). Checked before any work: by the HTTP body reader, and by grpc-js's
 * `grpc.max_receive_message_length` (RESOURCE_EXHAUSTED) on the gRPC doors.
 */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Cap on internal messages that carry files or state: Worker.GetModelCard (tokenizer.json of a
 * large vocabulary is tens of MiB), Worker.DumpKvState and Router.DumpIndex. Internal servers
 * (router, worker) receive up to this and every kvmesh client sends and receives up to this.
 */
export const INTERNAL_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Deepest JSON nesting accepted in a request (400 beyond, before JSON.parse runs). */
export const MAX_JSON_DEPTH = 64;

/** Largest proto `uint32` (max_tokens, min_tokens, token ids). */
export const UINT32_MAX = 2 ** 32 - 1;

/** Largest proto `int32` (top_k). */
export const INT32_MAX = 2 ** 31 - 1;

/** Largest finite proto `float`: beyond it a double becomes Infinity on the wire. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** The range of a seed: int64 and uint64 together (a negative seed is its two's complement). */
export const SEED_MIN = -(2n ** 63n);
/** See {@link SEED_MIN}. */
export const SEED_MAX = 2n ** 64n - 1n;
