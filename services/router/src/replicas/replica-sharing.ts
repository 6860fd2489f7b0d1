/**
 * Router replicas that do not herd: this replica's reservations go to its peers, theirs come
 * into its load tracker (PeerReservations), and sampled decisions are re-decided for the
 * agreement metric. Over NATS when the mesh has a broker, else over FollowReservations streams
 * that each replica follows through discovery.
 */
import { randomBytes } from "node:crypto";
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { Discovery } from "#common/discovery/index.js";
import { connectNats } from "#common/events/nats-connection.js";
import type { Logger } from "#common/logger.js";
import type { FollowReservationsRequest, ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import type { Decider } from "../decider.js";
import type { ActiveSequences } from "../sequences/active-sequences.js";
import type { WorkerRegistry } from "../workers/worker-registry.js";
import { DecisionSampler } from "./decision-sampler.js";
import { OwnReservations } from "./own-reservations.js";
import { PeerReservations } from "./peer-reservations.js";
import { PeerWatch } from "./peer-watch.js";
import { ReplicaAgreement } from "./replica-agreement.js";
import { serveReservations } from "./reservation-stream.js";
import { NatsReservations } from "./reservations-nats.js";

/** Settings of {@link ReplicaSharing}. */
export interface ReplicaSharingOptions {
  /** This replica's discovery instance id. */
  readonly replicaId: string;
  readonly sequences: ActiveSequences;
  /** Re-decides samples (a dry run). */
  readonly planner: Pick<Decider, "planBlocks">;
  /** Workers and block sizes known here (a sample naming an unknown worker or other block size is skipped). */
  readonly registry: Pick<WorkerRegistry, "get" | "blockSize">;
  /** --reservation-ttl; snapshots refresh every third of it. */
  readonly ttlMs: number;
  /** --reservation-sample-every. */
  readonly sampleEvery: number;
  readonly now: () => number;
  readonly log: Logger;
  /** Set: share over this broker; unset: over FollowReservations, peers found through discovery. */
  readonly natsUrl?: string;
  readonly namespace: string;
  readonly discovery: Discovery;
}

/** Owns the replica-sharing parts of one router process and their timers. */
export class ReplicaSharing {
  readonly own: OwnReservations;
  readonly peers: PeerReservations;
  readonly agreement: ReplicaAgreement;
  private readonly stopStreamsController = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  private nats: NatsReservations | undefined;
  private watch: PeerWatch | undefined;

  constructor(private readonly options: ReplicaSharingOptions) {
    const { replicaId, now } = options;
    this.own = new OwnReservations(replicaId, randomBytes(8).readBigUInt64BE(), new DecisionSampler({ every: options.sampleEvery, now }));
    this.peers = new PeerReservations(replicaId, options.sequences, options.ttlMs, now);
    this.agreement = new ReplicaAgreement(options.planner, options.registry);
  }

  /** One update from a peer: its samples are judged on the state before its reservations apply. */
  receive(update: ReservationUpdate): void {
    if (update.replicaId === this.options.replicaId) return;
    for (const sample of update.samples) this.agreement.judge(sample);
    this.peers.apply(update);
  }

  /** Connects the transport and starts the refresh and expiry timers. */
  async start(): Promise<void> {
    const { natsUrl, log, ttlMs } = this.options;
    if (natsUrl !== undefined) {
      const connection = await connectNats({ url: natsUrl, name: `router-reservations-${this.options.replicaId}`, log });
      this.nats = new NatsReservations(connection, this.options.namespace, log);
      this.nats.subscribe((update) => this.receive(update));
      this.own.addSink((update) => this.nats?.publish(update));
    } else {
      this.watch = new PeerWatch({ discovery: this.options.discovery, selfId: this.options.replicaId, onUpdate: (u) => this.receive(u), log });
      this.watch.start();
    }
    this.timers.push(setInterval(() => this.own.refresh(), Math.max(1, Math.floor(ttlMs / 3))));
    // Expiry runs at least 4 times per TTL, so a dead peer's reservations go within 1.25 × TTL.
    this.timers.push(setInterval(() => this.peers.expire(), Math.max(1, Math.min(1000, Math.floor(ttlMs / 4)))));
    for (const t of this.timers) t.unref();
  }

  /** Router.FollowReservations. */
  serve(call: ServerWritableStream<FollowReservationsRequest, ReservationUpdate>): Promise<void> {
    return serveReservations(this.own, call, this.options.log, this.stopStreamsController.signal);
  }

  /** The replica is draining: end the peers' FollowReservations streams so they do not hold the drain. */
  stopStreams(): void {
    this.stopStreamsController.abort();
  }

  /** Stops the timers, the transport and every follower. */
  async close(): Promise<void> {
    this.stopStreams();
    for (const t of this.timers) clearInterval(t);
    await this.watch?.close();
    await this.nats?.close();
  }
}
