/** The router's flags (ARCHITECTURE.md "Names, flags, ports") on top of the common ones. */
import { COMMON_FLAGS, defineFlags, loadServiceConfig } from "#common/config/index.js";
import type { ConfigOf, LoadedConfig } from "#common/config/index.js";
import { SELECTION_POLICIES } from "./scheduling/policies.js";
import { QUEUE_ORDERS } from "./queue/admission-queue.js";

/** Router-only flags. */
export const ROUTER_FLAGS = defineFlags([
  {
    name: "router-mode", type: "enum", choices: [...SELECTION_POLICIES, "direct"], default: "kv",
    help: "how a worker is chosen (README, Routing policies, says whose each is; direct: only requests naming worker_id)",
  },
  { name: "overlap-weight", type: "number", default: 1.0, min: 0, help: "weight of prefill tokens against decode blocks in the KV cost" },
  { name: "router-temperature", type: "number", default: 0, min: 0, help: "0: lowest cost wins; > 0: softmax sampling over normalised costs" },
  {
    name: "kv-events", type: "enum", choices: ["nats", "grpc", "none"],
    help: "where the KV index comes from: NATS, each worker's StreamKvEvents, or none (approximate); default nats with --nats-url, else grpc",
  },
  { name: "busy-threshold", type: "number", min: 0, help: "skip a worker whose reported blocks_active / blocks_total exceeds this; unset: never busy" },
  { name: "migration-limit", type: "int", default: 3, min: 0, help: "how many times one stream may move to another worker after a failure" },
  {
    name: "replica-sharing", type: "enum", choices: ["on", "off"], default: "on",
    help: "share reservations with peer router replicas (NATS with --nats-url, else FollowReservations streams) so their in-flight work counts in this one's load view",
  },
  { name: "reservation-ttl", type: "duration", default: "10s", min: 100, help: "a peer replica's reservation not refreshed for this long expires (refreshed every third of it)" },
  { name: "reservation-sample-every", type: "int", default: 16, min: 1, help: "publish one decision in this many for peers to re-decide (kvmesh_router_replica_agreement)" },
]);

/** The router queue's flags (late binding), shared with `kvmesh sim`. */
export const ROUTER_QUEUE_FLAGS = defineFlags([
  {
    name: "router-queue-threshold", type: "int", min: 1,
    help: "hold a new request while every worker has at least this many uncached prompt tokens in flight (no first token yet); decide it when one frees up. Unset: decide on arrival",
  },
  { name: "router-queue-max-length", type: "int", default: 1024, min: 0, help: "most requests held at once; beyond it a request is decided on arrival (never rejected)" },
  { name: "router-queue-max-wait", type: "duration", default: "10s", min: 1, help: "longest a request is held; then it is decided anyway" },
  {
    name: "router-queue-order", type: "enum", choices: QUEUE_ORDERS, default: "fifo",
    help: "order held requests leave in: fifo (arrival), or shortest (fewest prompt tokens first; one held 1 s goes first)",
  },
]);

/** Every flag of `kvmesh router`. */
export const ROUTER_SPEC = [...COMMON_FLAGS, ...ROUTER_FLAGS, ...ROUTER_QUEUE_FLAGS] as const;

/** The parsed router config; `kvEvents` is resolved (never undefined). */
export type RouterConfig = Omit<ConfigOf<typeof ROUTER_SPEC>, "kvEvents"> & { kvEvents: "nats" | "grpc" | "none" };

/** Parses argv/env; returns the config, or the exit code for --help, --check-config and bad flags. */
export function loadRouterConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: { out: (text: string) => void; err: (text: string) => void } = { out: console.log, err: console.error },
): { config: RouterConfig; exitCode?: undefined } | { config?: undefined; exitCode: number } {
  const loaded: LoadedConfig<typeof ROUTER_SPEC> = loadServiceConfig({ service: "router", spec: ROUTER_SPEC, argv, env, ...io });
  if (loaded.config === undefined) return { exitCode: loaded.exitCode };
  const kvEvents = loaded.config.kvEvents ?? (loaded.config.natsUrl ? "nats" : "grpc");
  if (kvEvents === "nats" && !loaded.config.natsUrl) {
    io.err("kvmesh router: --kv-events nats needs --nats-url\n(kvmesh router --help lists the flags)");
    return { exitCode: 2 };
  }
  return { config: { ...loaded.config, kvEvents } };
}
