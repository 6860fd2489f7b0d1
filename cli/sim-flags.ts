/** `kvmesh sim`'s flags: the trace, the mocker fleet, the policies and the loads. */
import { defineFlags } from "#common/config/index.js";
import { CLUMP_ORDERS } from "../bench/sim/clump-order.js";
import { SIM_REPLICA_FLAGS } from "../bench/sim/sim-replica-flags.js";
import { ROUTER_QUEUE_FLAGS } from "../services/router/src/config.js";

export const SIM_FLAGS = defineFlags([
  ...ROUTER_QUEUE_FLAGS,
  { name: "trace", type: "string", default: "../shared/traces/mooncake_conversation_trace.jsonl", help: "a Mooncake-format JSONL trace" },
  { name: "max-requests", type: "int", min: 1, default: 2000, help: "replay at most this many records (from the start)" },
  { name: "time-scale", type: "number", min: 0.0001, default: 1, help: "send time = timestamp × this (0.2: five times faster); --load overrides it" },
  {
    name: "clump-order", type: "enum", choices: CLUMP_ORDERS, default: "trace",
    help: "order of records sharing a timestamp: the trace's, or short (fewest input tokens) or long first (a sensitivity check)",
  },
  { name: "trace-block-size", type: "int", min: 1, default: 512, help: "tokens per hash id (the trace's own is 512)" },
  { name: "max-output-len", type: "int", min: 1, help: "cap on every output length" },
  { name: "workers", type: "int", min: 1, max: 256, default: 8, help: "simulated mocker workers" },
  { name: "num-kv-blocks", type: "int", min: 1, default: 16384, help: "KV blocks per worker (the mocker's default)" },
  { name: "block-size", type: "int", min: 1, max: 4096, default: 64, help: "tokens per KV block (the mocker's default)" },
  { name: "max-num-seqs", type: "int", min: 1, default: 64, help: "most sequences in one batch" },
  { name: "max-batched-tokens", type: "int", min: 1, default: 2048, help: "token budget of one scheduler step" },
  { name: "max-waiting", type: "int", min: 1, default: 1024, help: "most requests waiting per worker; beyond it a request fails overloaded" },
  { name: "vocab-size", type: "int", min: 4, default: 512, help: "token ids are drawn from [3, vocab)" },
  { name: "policies", type: "string", default: "kv,round-robin", help: "router modes to replay, comma-separated; a name ending in +queue runs behind the router queue (needs --router-queue-threshold)" },
  { name: "token-load-tau-s", type: "number", min: 0, default: 14, help: "token-load's τ in seconds of peak prefill (llm-d's 14): how much more queued prefill a warm worker may carry" },
  { name: "seed", type: "int", default: 7, help: "seed of the prompts' tokens and of every policy's random draws" },
  { name: "find-saturation", type: "bool", help: "measure round-robin's steady completion rate under heavy overload and report it" },
  { name: "load", type: "string", help: "fractions of round-robin's saturation to replay at (\"0.5,0.8,0.95\"); implies --find-saturation" },
  { name: "out", type: "string", help: "report directory (default bench/results/<timestamp>/)" },
  { name: "tail-breakdown", type: "string", help: "write each request's TTFT split (wait, own prefill steps, their decode rows) of every row to this JSON file, and a tail line per row to the notes" },
  { name: "note", type: "string", help: "a line of your own for the report's notes" },
  ...SIM_REPLICA_FLAGS,
]);
