/**
 * Peer replicas' reservations in this replica's load tracker. A peer's reservation enters the
 * same ActiveSequences as this replica's own decisions, under a key of its own
 * (`peer:<replica>:<request>`), so shared prefixes of own and peer requests on one worker count
 * once while the two sets never mix: own request ids carry no `peer:` prefix, updates from this
 * replica itself are ignored, and each peer's set is tracked here by replica and epoch.
 */
import type { Reservation, ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import type { SequenceHash } from "#common/kv-hash.js";
import type { ActiveSequences } from "../sequences/active-sequences.js";

/** One peer reservation as held here. */
interface Held {
  /** Its key in the tracker. */
  readonly key: string;
  prefillTokens: number;
  /** Last time the peer announced it alive (clock ms). */
  refreshedAt: number;
}

/** One peer replica's set. */
interface PeerSet {
  epoch: bigint;
  readonly held: Map<string, Held>;
}

/**
 * Applies peers' {@link ReservationUpdate}s to the tracker, with a TTL: a reservation not
 * refreshed for longer than `ttlMs` (alive at exactly ttlMs, gone 1 ms later) is released by
 * {@link expire}, so a dead replica's reservations go. A snapshot, or a new epoch (the peer
 * restarted), replaces the peer's whole set.
 */
export class PeerReservations {
  private readonly peers = new Map<string, PeerSet>();

  constructor(
    private readonly selfId: string,
    private readonly sequences: ActiveSequences,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Applies one update; returns false when it was ignored (this replica's own). */
  apply(update: ReservationUpdate): boolean {
    if (update.replicaId === this.selfId || update.replicaId === "") return false;
    let peer = this.peers.get(update.replicaId);
    if (peer !== undefined && (update.snapshot || peer.epoch !== update.epoch)) {
      this.dropPeer(update.replicaId, peer);
      peer = undefined;
    }
    if (peer === undefined) {
      peer = { epoch: update.epoch, held: new Map() };
      this.peers.set(update.replicaId, peer);
    }
    for (const r of update.upserts) this.upsert(update.replicaId, peer, r);
    for (const requestId of update.released) this.release(peer, requestId);
    return true;
  }

  /** Releases every reservation not refreshed within the TTL; returns how many went. */
  expire(): number {
    const cutoff = this.now() - this.ttlMs;
    let gone = 0;
    for (const [replicaId, peer] of this.peers) {
      for (const [requestId, held] of peer.held) {
        if (held.refreshedAt >= cutoff) continue;
        this.release(peer, requestId);
        gone++;
      }
      if (peer.held.size === 0) this.peers.delete(replicaId);
    }
    return gone;
  }

  /** Reservations held per peer replica (for tests and logs). */
  counts(): Map<string, number> {
    return new Map([...this.peers].map(([id, p]) => [id, p.held.size]));
  }

  /** Releases every peer reservation (this replica stops sharing). */
  clear(): void {
    for (const [replicaId, peer] of this.peers) this.dropPeer(replicaId, peer);
  }

  private upsert(replicaId: string, peer: PeerSet, r: Reservation): void {
    const held = peer.held.get(r.requestId);
    // Gone from the tracker (its worker left discovery and came back): counted afresh below.
    if (held !== undefined && !this.sequences.has(held.key)) peer.held.delete(r.requestId);
    else if (held !== undefined) {
      held.refreshedAt = this.now();
      this.sequences.touch(held.key);
      // Only the first token changes a live reservation: its prefill is done.
      if (r.prefillTokens === 0 && held.prefillTokens !== 0) {
        this.sequences.markFirstToken(held.key);
        held.prefillTokens = 0;
      }
      return;
    }
    const key = `peer:${replicaId}:${r.requestId}`;
    this.sequences.add({
      requestId: key, workerId: r.workerId, sequenceHashes: r.sequenceHashes as SequenceHash[],
      totalBlocks: r.totalBlocks, prefillTokens: r.prefillTokens,
    });
    peer.held.set(r.requestId, { key, prefillTokens: r.prefillTokens, refreshedAt: this.now() });
  }

  private release(peer: PeerSet, requestId: string): void {
    const held = peer.held.get(requestId);
    if (held === undefined) return;
    peer.held.delete(requestId);
    this.sequences.free(held.key);
  }

  private dropPeer(replicaId: string, peer: PeerSet): void {
    for (const requestId of [...peer.held.keys()]) this.release(peer, requestId);
    this.peers.delete(replicaId);
  }
}
