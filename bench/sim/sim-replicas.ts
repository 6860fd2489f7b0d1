/**
 * `kvmesh sim --router-replicas N`: N router replicas, each the router's own decide code with
 * its own index copy and load tracker, behind one facade that deals requests among them. With
 * sharing, each replica's reservation updates (the router's own OwnReservations, samples
 * included) reach the others after a simulated propagation delay, into the router's own
 * PeerReservations and ReplicaAgreement: the code the mesh runs, in simulated time.
 */
import type { ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import type { RoutePlan } from "../../services/router/src/decider.js";
import { DecisionSampler } from "../../services/router/src/replicas/decision-sampler.js";
import { OwnReservations } from "../../services/router/src/replicas/own-reservations.js";
import { PeerReservations } from "../../services/router/src/replicas/peer-reservations.js";
import { ReplicaAgreement } from "../../services/router/src/replicas/replica-agreement.js";
import { seededRng } from "../../services/router/src/scheduling/rng.js";
import { ActiveSequences } from "../../services/router/src/sequences/active-sequences.js";
import { createSimRouter } from "./sim-router.js";
import type { SimRouter, SimRouterOptions } from "./sim-router.js";

/** How the replicas are run. */
export interface SimReplicaOptions {
  /** Router replicas (≥ 1). */
  readonly count: number;
  /** Share reservations (and decision samples) between replicas. */
  readonly sharing: boolean;
  /** Simulated time an update takes to reach the other replicas, ms. */
  readonly propagationMs: number;
  /** How arriving requests are dealt to replicas (random: seeded by the run's seed). */
  readonly dealing: "round-robin" | "random";
  /** One decision in this many is sampled for agreement (the router's default 16). */
  readonly sampleEvery?: number;
}

/** The replicas behind one SimRouter, plus their agreement. */
export interface SimReplicas extends SimRouter {
  /** Peers' samples re-decided so far, by outcome (skips left out). */
  agreement(): { agree: number; disagree: number };
  /** Per replica, requests its tracker still counts (own and peers'); all 0 after a complete run. */
  inFlight(): number[];
}

/** An update in flight between replicas. */
interface InFlight {
  readonly at: number;
  readonly from: number;
  readonly update: ReservationUpdate;
}

/** A TTL no simulated run reaches: replicas here never die, so nothing should expire. */
const SIM_TTL_MS = Number.MAX_SAFE_INTEGER / 2;

/** Builds N replicas over the same simulated workers. */
export function createSimReplicas(base: SimRouterOptions, options: SimReplicaOptions): SimReplicas {
  const { now } = base;
  const pending: InFlight[] = [];
  const replicas = Array.from({ length: Math.max(1, options.count) }, (_, i) => {
    const sequences = new ActiveSequences(now);
    const own = new OwnReservations(`replica-${i}`, 1n, new DecisionSampler({ every: options.sampleEvery ?? 16, maxPerSecond: Number.MAX_SAFE_INTEGER, now }));
    // FIFO in send order; sends happen at non-decreasing times, so arrivals are ordered too.
    if (options.sharing) own.addSink((update) => pending.push({ at: now() + options.propagationMs, from: i, update }));
    const router = createSimRouter({ ...base, seed: base.seed + i, sequences, reservations: own });
    const peers = new PeerReservations(`replica-${i}`, sequences, SIM_TTL_MS, now);
    return { router, sequences, peers, agreement: new ReplicaAgreement(router.decider, router.registry) };
  });
  const owner = new WeakMap<RoutePlan, number>();
  const ownerOf = new Map<string, number>();
  const rng = seededRng(base.seed + 7919);
  let dealt = 0;
  const flush = (until = now()): void => {
    while (pending.length > 0 && pending[0].at <= until) {
      const { from, update } = pending.shift()!;
      replicas.forEach((r, i) => {
        if (i === from) return;
        for (const sample of update.samples) r.agreement.judge(sample);
        r.peers.apply(update);
      });
    }
  };
  const of = (requestId: string): SimRouter | undefined => {
    const i = ownerOf.get(requestId);
    return i === undefined ? undefined : replicas[i].router;
  };
  return {
    decider: {
      plan(question) {
        flush();
        const i = options.dealing === "random" ? Math.floor(rng() * replicas.length) : dealt++ % replicas.length;
        const plan = replicas[i].router.decider.plan(question);
        owner.set(plan, i);
        return plan;
      },
      admit(requestId, plan) {
        const i = owner.get(plan) ?? 0;
        ownerOf.set(requestId, i);
        replicas[i].router.decider.admit(requestId, plan);
      },
      firstToken(requestId) {
        flush();
        of(requestId)?.decider.firstToken(requestId);
      },
      finish(requestId) {
        flush();
        of(requestId)?.decider.finish(requestId);
        ownerOf.delete(requestId);
      },
    },
    registry: { setLoad: (workerId, load) => replicas.forEach((r) => r.router.registry.setLoad(workerId, load)) },
    applyEvents: (workerId, events) => replicas.forEach((r) => r.router.applyEvents(workerId, events)),
    inFlight: () => {
      // The run is over: what is still on its way arrives.
      flush(Number.POSITIVE_INFINITY);
      return replicas.map((r) => r.sequences.activeRequests());
    },
    agreement() {
      const total = { agree: 0, disagree: 0 };
      for (const r of replicas) {
        const c = r.agreement.counts();
        total.agree += c.agree;
        total.disagree += c.disagree;
      }
      return total;
    },
  };
}
