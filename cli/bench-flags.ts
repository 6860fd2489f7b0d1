/** The flags of `kvmesh bench` and its modes: the load and workload knobs they all share, then each mode's own. */
import { defineFlags, withDefaults } from "#common/config/index.js";
import { WORKLOAD_KINDS } from "../bench/workloads/build.js";

/** Closed-loop loads of a compare left without --concurrency: every worker busy (3 and 6 requests each on the default 8 workers), where the cost function keeps a request with its prefix instead of moving it to an idle worker. */
export const COMPARE_CONCURRENCY = "24,48";

/** Load and workload knobs (every mode). */
export const LOAD_FLAGS = defineFlags([
  { name: "concurrency", type: "string", help: `closed loop: requests in flight, or a list to sweep ("1,8,32"); with --request-rate or a trace, one value caps in-flight requests (default: 8 closed loop; compare: ${COMPARE_CONCURRENCY})` },
  { name: "request-rate", type: "string", help: "open loop: Poisson arrivals per second, or a list to sweep" },
  { name: "workload", type: "enum", choices: WORKLOAD_KINDS, default: "shared-prefix", help: "what to send" },
  { name: "num-requests", type: "int", min: 1, default: 500, help: "requests of a shared-prefix workload" },
  { name: "duration", type: "duration", min: 1, help: "stop sending after this long (in-flight requests finish); unset: send the whole workload" },
  { name: "seed", type: "int", default: 42, help: "seed of every random draw (prompts, lengths, arrivals)" },
  { name: "vocab-size", type: "int", min: 4, default: 512, help: "token ids are drawn from [3, vocab) when /v1/models does not list vocab_size" },
  { name: "block-size", type: "int", min: 1, default: 64, help: "block size of the available-reuse statistic (the workers' block size; mocker 64, onnx 16)" },
  { name: "prefix-groups", type: "int", min: 1, default: 8, help: "shared-prefix: distinct prefixes" },
  { name: "prefix-ratio", type: "number", min: 0, max: 1, default: 0.5, help: "shared-prefix: share of the mean input length that is the group prefix" },
  { name: "input-len", type: "int", min: 1, default: 512, help: "mean prompt tokens (multi-turn: new user tokens per turn)" },
  { name: "input-len-std", type: "number", min: 0, default: 0, help: "standard deviation of --input-len" },
  { name: "output-len", type: "int", min: 1, default: 64, help: "mean output tokens (max_tokens with ignore_eos)" },
  { name: "output-len-std", type: "number", min: 0, default: 0, help: "standard deviation of --output-len" },
  { name: "sessions", type: "int", min: 1, default: 16, help: "multi-turn: conversations" },
  { name: "turns", type: "int", min: 1, default: 4, help: "multi-turn: turns per conversation" },
  { name: "think-time", type: "duration", default: "1s", help: "multi-turn: pause between an answer and the next turn" },
  { name: "trace", type: "string", default: "../shared/traces/mooncake_conversation_trace.jsonl", help: "trace: a Mooncake-format JSONL file" },
  { name: "max-requests", type: "int", min: 1, default: 2000, help: "trace: replay at most this many records (from the start)" },
  { name: "time-scale", type: "number", min: 0.0001, default: 1, help: "trace: send time = timestamp × this (0.1: ten times faster)" },
  { name: "trace-block-size", type: "int", min: 1, default: 512, help: "trace: tokens per hash id (the trace's own is 512; smaller for small models, input lengths shrink alike)" },
  { name: "max-output-len", type: "int", min: 1, help: "cap on every output length (traces ask up to thousands)" },
  { name: "request-timeout", type: "duration", min: 1, default: "600s", help: "a request running longer fails with error kind timeout" },
  { name: "out", type: "string", help: "report directory (default bench/results/<timestamp>/)" },
  { name: "note", type: "string", help: "a line of your own for the report's notes (setup, caveats)" },
]);

/** `kvmesh bench` against a running server. */
export const RUN_FLAGS = defineFlags([
  { name: "url", type: "string", default: "http://127.0.0.1:8000", help: "the frontend's base URL" },
  { name: "model", type: "string", help: "served model (default: the first of /v1/models)" },
  { name: "label", type: "string", default: "target", help: "name of this run in the report" },
  ...LOAD_FLAGS,
]);

/**
 * KV blocks per mocker worker in a shared-prefix compare: 512 × 64 = 32K tokens, the KV cache of
 * an 8B model on a 24 GB GPU. The default workload's 8 prefixes of ~7.4K tokens need 2 workers'
 * caches at least, so a policy that sends every prefix everywhere keeps evicting.
 */
export const COMPARE_SHARED_PREFIX_KV_BLOCKS = 512;

/** `kvmesh bench compare`: one fresh mesh per policy. */
export const COMPARE_FLAGS = defineFlags([
  { name: "policies", type: "string", default: "kv,round-robin,random", help: "router modes to compare, each on a fresh mesh" },
  { name: "workers", type: "int", min: 1, default: 8, help: "workers of each mesh" },
  { name: "engine", type: "enum", choices: ["mocker", "onnx"], default: "mocker", help: "engine of the workers" },
  { name: "speedup-ratio", type: "number", min: 0, default: 1, help: "mocker: simulated time runs this much faster" },
  { name: "model", type: "string", default: "../shared/models/stories260K", help: "model directory (or repo id) passed to kvmesh up" },
  { name: "up-command", type: "string", help: "command that starts a mesh, split on spaces (default: this node and kvmesh.js, then `up`)" },
  { name: "up-args", type: "string", default: "", help: "more flags for every mesh, split on spaces; give it with = since the value starts with --: --up-args=\"--overlap-weight 2\"" },
  { name: "up-timeout", type: "duration", min: 1, default: "180s", help: "longest wait for a mesh's /health 200" },
  { name: "ceiling", type: "bool", default: true, help: "also measure the client's own ceiling against the loopback stand-in" },
  { name: "num-kv-blocks", type: "int", min: 1, help: `KV blocks per worker (default: ${COMPARE_SHARED_PREFIX_KV_BLOCKS} for shared-prefix, a cache too small for all its prefixes but not the fleet's; the worker's own default for multi-turn and trace)` },
  // The default workload is the regime KV routing is for: long shared prefixes, more of them than
  // one worker's cache holds, and every worker busy (COMPARE_CONCURRENCY).
  ...withDefaults(LOAD_FLAGS, { "prefix-ratio": 0.9, "input-len": 8192, "input-len-std": 512, "output-len-std": 16 }),
]);

/** `kvmesh bench ceiling`: the client against the instant stand-in. */
export const CEILING_FLAGS = defineFlags([...LOAD_FLAGS]);

/** `kvmesh bench standin`: the loopback stand-in server (it also takes the `kvmesh up` flags a compare passes). */
export const STANDIN_FLAGS = defineFlags([
  { name: "http-port", type: "int", min: 0, max: 65535, default: 0, help: "port on 127.0.0.1 (0: ephemeral)" },
  { name: "model", type: "string", help: "a model directory: its basename is the served name (as kvmesh up does)" },
  { name: "model-name", type: "string", help: "served model name (default: the --model basename, else standin)" },
  { name: "max-model-len", type: "int", min: 2, default: 131072, help: "context length listed in /v1/models" },
  { name: "block-size", type: "int", min: 1, default: 64, help: "block size of the simulated prefix caches" },
  { name: "workers", type: "int", min: 1, default: 1, help: "simulated workers, each with its own unbounded prefix cache" },
  { name: "router-mode", type: "enum", choices: ["kv", "round-robin", "random"], default: "kv", help: "how the simulation picks a worker" },
  { name: "simulate-cache", type: "bool", default: true, help: "answer cached_tokens from the simulated caches (--no-simulate-cache: always 0, less CPU)" },
  { name: "engine", type: "string", help: "accepted and ignored (kvmesh up compatibility)" },
  { name: "speedup-ratio", type: "number", help: "accepted and ignored (kvmesh up compatibility)" },
  { name: "num-kv-blocks", type: "int", help: "accepted and ignored (kvmesh up compatibility): the simulated caches are unbounded" },
  { name: "discovery-dir", type: "string", help: "accepted and ignored (kvmesh up compatibility)" },
]);
