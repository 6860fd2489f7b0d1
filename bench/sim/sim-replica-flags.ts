/** `kvmesh sim`'s router-replica flags (their own list, so the sim's flag list stays small to edit). */
import { defineFlags } from "#common/config/index.js";
import type { ConfigOf } from "#common/config/index.js";
import type { SimReplicaOptions } from "./sim-replicas.js";

/** --router-replicas and its companions. */
export const SIM_REPLICA_FLAGS = defineFlags([
  { name: "router-replicas", type: "int", min: 1, max: 64, default: 1, help: "router replicas the requests are dealt among (each with its own index copy and load view)" },
  { name: "replica-isolate", type: "bool", help: "replicas share no reservations: each sees only its own decisions (the herd; default: they share)" },
  { name: "share-delay", type: "duration", default: "2ms", min: 0, help: "simulated time a replica's reservation update takes to reach the others" },
  { name: "random-dealing", type: "bool", help: "deal arriving requests to replicas at random (seeded by --seed); default round-robin" },
]);

/** The replica options of a parsed config; undefined for one router. */
export function simReplicasOf(config: ConfigOf<typeof SIM_REPLICA_FLAGS>): SimReplicaOptions | undefined {
  if (config.routerReplicas <= 1) return undefined;
  return { count: config.routerReplicas, sharing: !config.replicaIsolate, propagationMs: config.shareDelayMs, dealing: config.randomDealing ? "random" : "round-robin" };
}

/** The report label of a policy run by replicas, with the agreement of their sampled decisions. */
export function replicaLabel(policy: string, replicas: SimReplicaOptions, agreement: { agree: number; disagree: number } | undefined): string {
  const judged = (agreement?.agree ?? 0) + (agreement?.disagree ?? 0);
  const share = judged === 0 ? "" : `, agreement ${((100 * agreement!.agree) / judged).toFixed(0)}% of ${judged} samples`;
  return `${policy} ×${replicas.count} replicas (sharing ${replicas.sharing ? "on" : "off"}${share})`;
}
