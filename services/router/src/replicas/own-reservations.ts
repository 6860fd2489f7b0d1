/**
 * This replica's own reservations, published to its peers: each admission, first token and
 * finish as it happens (a delta), and every live reservation again on {@link snapshot} (the
 * refresh that keeps their TTL alive at the peers, and the first message a new follower gets).
 */
import type { Reservation, ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import type { RoutePlan } from "../decider.js";
import type { DecisionSampler } from "./decision-sampler.js";
import type { ReservationHook } from "./reservation-hook.js";

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
    const { request, decision } = plan;
    const overlap = decision.workers.find((w) => w.workerId === decision.workerId)?.overlapBlocks ?? 0;
    const reservation: Reservation = {
      requestId,
      model: plan.model,
      workerId: decision.workerId,
      sequenceHashes: request.hashes.sequence,
      totalBlocks: request.requestBlocks,
      prefillTokens: Math.max(0, request.isl - overlap * request.blockSize),
    };
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

  /** Every live reservation, replacing what peers hold for this replica. */
  snapshot(): ReservationUpdate {
    return this.update({ snapshot: true, upserts: [...this.live.values()] });
  }

  /** Publishes a snapshot to every sink (the periodic refresh). */
  refresh(): void {
    const update = this.snapshot();
    for (const sink of this.sinks) sink(update);
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
