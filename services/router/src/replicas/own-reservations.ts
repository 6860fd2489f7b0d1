/**
 * This replica's own reservations, published to its peers: each admission, first token and
 * finish as it happens (a delta), and every live reservation again on {@link snapshot} (the
 * refresh that keeps their TTL alive at the peers, and the first message a new follower gets).
 */
import type { Reservation, ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import type { RoutePlan } from "../decider.js";
import { admissionOf } from "../scheduling/route-plan.js";
import type { DecisionSampler } from "./decision-sampler.js";
import type { ReservationHook } from "./reservation-hook.js";

/** Block hashes per snapshot message at most (about 450 KB). */
export const SNAPSHOT_MAX_HASHES = 50_000;

/** Receives every update this replica publishes (transports: NATS, FollowReservations streams). */
export type ReservationSink = (update: ReservationUpdate) => void;

/** Keeps the live set of this replica's decisions and fans its updates out to the sinks. */
export class OwnReservations implements ReservationHook {
  private readonly live = new Map<string, Reservation>();
  private readonly sinks = new Set<ReservationSink>();

  constructor(
    private readonly replicaId: string,
    private readonly epoch: bigint,
    private readonly sampler: DecisionSampler,
  ) {}

  /** Adds a receiver; returns its removal. */
  addSink(sink: ReservationSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /** See {@link ReservationHook.admitted}; the sample, if any, rides in the same update. */
  admitted(requestId: string, plan: RoutePlan): void {
    // The same record the decider added to its own load, so peers count exactly what it counts.
    const reservation: Reservation = { ...admissionOf(requestId, plan.request, plan.decision), model: plan.model };
    this.live.set(requestId, reservation);
    const sample = this.sampler.sample(plan);
    this.send({ upserts: [reservation], samples: sample === undefined ? [] : [sample] });
  }

  /** See {@link ReservationHook.firstToken}. */
  firstToken(requestId: string): void {
    const reservation = this.live.get(requestId);
    if (reservation === undefined || reservation.prefillTokens === 0) return;
    const done = { ...reservation, prefillTokens: 0 };
    this.live.set(requestId, done);
    // Full, not a bare id: a peer that missed the admission (it joined since) still counts it right.
    this.send({ upserts: [done] });
  }

  /** See {@link ReservationHook.finished}. */
  finished(requestId: string): void {
    if (!this.live.delete(requestId)) return;
    this.send({ released: [requestId] });
  }

  /**
   * Every live reservation, replacing what peers hold for this replica: the first message is
   * the snapshot, the rest add to it. Split at `maxHashes` block hashes a message so each stays
   * well under NATS's default 1 MiB payload (9 bytes a hash).
   */
  snapshot(maxHashes = SNAPSHOT_MAX_HASHES): ReservationUpdate[] {
    const chunks: Reservation[][] = [[]];
    let hashes = 0;
    for (const r of this.live.values()) {
      if (hashes > 0 && hashes + r.sequenceHashes.length > maxHashes) {
        chunks.push([]);
        hashes = 0;
      }
      chunks[chunks.length - 1].push(r);
      hashes += r.sequenceHashes.length;
    }
    return chunks.map((upserts, i) => this.update({ snapshot: i === 0, upserts }));
  }

  /** Publishes a snapshot to every sink (the periodic refresh). */
  refresh(): void {
    const updates = this.snapshot();
    for (const sink of this.sinks) for (const update of updates) sink(update);
  }

  /** Live reservations (tests). */
  size(): number {
    return this.live.size;
  }

  private send(part: Partial<ReservationUpdate>): void {
    if (this.sinks.size === 0) return;
    const update = this.update(part);
    for (const sink of this.sinks) sink(update);
  }

  private update(part: Partial<ReservationUpdate>): ReservationUpdate {
    return { replicaId: this.replicaId, epoch: this.epoch, snapshot: false, upserts: [], released: [], samples: [], ...part };
  }
}
