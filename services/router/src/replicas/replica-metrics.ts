import { Counter, Gauge } from "prom-client";
import type { Registry } from "prom-client";
import type { ReplicaSharing } from "./replica-sharing.js";

/**
 * The replica-sharing metrics: `kvmesh_router_replica_agreement` (share of the last 256
 * re-decided peer samples where this replica chose the same worker), samples judged by
 * outcome, and the peer reservations held.
 */
export function registerReplicaMetrics(registry: Registry, sharing: ReplicaSharing): void {
  const registers = [registry];
  new Gauge({
    name: "kvmesh_router_replica_agreement",
    help: "Share of the last 256 decision samples from peer router replicas that this replica, re-deciding with its own state, sent to the same worker",
    registers,
    collect() {
      const share = sharing.agreement.share();
      if (share !== undefined) this.set(share);
    },
  });
  let reported = { agree: 0, disagree: 0, skipped: 0 };
  new Counter({
    name: "kvmesh_router_replica_samples_total", help: "Peer replicas' decision samples re-decided here, by outcome", labelNames: ["outcome"], registers,
    collect() {
      const now = sharing.agreement.counts();
      for (const outcome of ["agree", "disagree", "skipped"] as const) this.inc({ outcome }, now[outcome] - reported[outcome]);
      reported = { ...now };
    },
  });
  new Gauge({
    name: "kvmesh_router_peer_reservations", help: "Reservations of peer router replicas counted in this replica's load view", registers,
    collect() {
      this.set([...sharing.peers.counts().values()].reduce((a, b) => a + b, 0));
    },
  });
}
