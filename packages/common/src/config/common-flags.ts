/** The flags every kvmesh service accepts (ARCHITECTURE.md "Names, flags, ports"). */
import { defineFlags } from "./spec.js";

/** pino's levels, accepted by `--log-level`. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/**
 * The common flags. Services compose: `parseConfig([...COMMON_FLAGS, ...WORKER_FLAGS], argv, env)`.
 * Durations land in the config as milliseconds under a `Ms` key (`discoveryTtlMs`, `shutdownGraceMs`).
 */
export const COMMON_FLAGS = defineFlags([
  { name: "namespace", type: "string", default: "kvmesh", help: "mesh namespace: discovery entries and NATS subjects are scoped to it" },
  { name: "discovery", type: "enum", choices: ["file", "consul"], default: "file", help: "discovery backend" },
  { name: "discovery-dir", type: "string", default: "~/.kvmesh/registry", expandHome: true, help: "registry directory of the file discovery backend" },
  { name: "discovery-ttl", type: "duration", default: "10s", min: 1, help: "registration TTL; a dead instance disappears within it" },
  { name: "consul-url", type: "string", default: "http://127.0.0.1:8500", help: "Consul agent URL (with --discovery consul)" },
  { name: "nats-url", type: "string", help: "NATS server URL for KV events and load; unset: broker-less (events over gRPC)" },
  { name: "listen", type: "string", default: "127.0.0.1:0", help: "gRPC listen address host:port (port 0: ephemeral)" },
  { name: "advertise-host", type: "string", help: "host registered in discovery (default: the listen host)" },
  { name: "metrics-port", type: "int", min: 0, max: 65535, help: "Prometheus /metrics port (0: ephemeral); unset: no metrics server" },
  { name: "log-level", type: "enum", choices: LOG_LEVELS, default: "info", help: "log level" },
  { name: "shutdown-grace", type: "duration", default: "10s", help: "on SIGTERM, how long in-flight streams may finish before they are cut" },
  { name: "check-config", type: "bool", help: "validate the flags, print the resolved config as JSON and exit 0" },
]);
