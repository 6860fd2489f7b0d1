import type { BlockHashes, LocalBlockHash } from "#common/kv-hash.js";
import { RadixTree } from "./radix-tree.js";
import type { OverlapIndex, OverlapScores, WorkerId, WorkerIndexDump } from "./types.js";

/** How long a block routed to a worker is assumed cached after its last touch. */
export const APPROX_TTL_MS = 120_000;

/**
 * Index for `--kv-events none`: no worker reports its cache, so every routing decision is
 * recorded as if the chosen worker stored the request's full blocks, and each such block is
 * forgotten 120 s after it was last routed there.
 */
export class ApproxIndexer implements OverlapIndex {
  private readonly tree = new RadixTree();
  /** Per worker, sequence hash → expiry; Map order is touch order, so expiry order too. */
  private readonly expiries = new Map<WorkerId, Map<bigint, number>>();
  /**
   * No block expires before this (+∞: none recorded). Every decision sweeps once per worker
   * (blockCount per candidate, then findMatches): walking every worker's expiries each time was
   * workers² iterator walks per decision (4,096 at 64 workers) when, most of the time, nothing
   * was due. Kept ≤ the true earliest expiry: a new block expires after every older one, and a
   * touch only moves a block's expiry later.
   */
  private dueAt = Number.POSITIVE_INFINITY;

  /** `now` is milliseconds from an injected clock (monotonic). */
  constructor(
    private readonly now: () => number,
    private readonly ttlMs = APPROX_TTL_MS,
  ) {}

  /** Record that the request with these block hashes was routed to `workerId`. */
  record(workerId: WorkerId, hashes: BlockHashes): void {
    this.sweep();
    const blocks = hashes.local.map((localHash, i) => ({ localHash, sequenceHash: hashes.sequence[i] }));
    this.tree.store(workerId, undefined, blocks);
    let expiries = this.expiries.get(workerId);
    if (expiries === undefined) {
      expiries = new Map();
      this.expiries.set(workerId, expiries);
    }
    const expiresAt = this.now() + this.ttlMs;
    if (expiresAt < this.dueAt) this.dueAt = expiresAt;
    for (const hash of hashes.sequence) {
      // Re-insert so the touched block moves to the end of the expiry order.
      expiries.delete(hash);
      expiries.set(hash, expiresAt);
    }
  }

  /** Contiguous leading blocks of the request assumed cached, per worker. */
  findMatches(localHashes: readonly LocalBlockHash[]): OverlapScores {
    this.sweep();
    return this.tree.findMatches(localHashes);
  }

  /** Blocks assumed cached on a worker. */
  blockCount(workerId: WorkerId): number {
    this.sweep();
    return this.tree.blockCount(workerId);
  }

  /** Every worker's assumed blocks, sorted by worker id (epoch and event id are 0: there are no events). */
  dump(): WorkerIndexDump[] {
    this.sweep();
    return this.tree
      .workers()
      .sort()
      .map((workerId) => ({ workerId, epoch: 0n, lastEventId: 0n, sequenceHashes: this.tree.sequenceHashes(workerId) }));
  }

  /** Forget a worker. */
  removeWorker(workerId: WorkerId): void {
    this.tree.clearWorker(workerId);
    this.expiries.delete(workerId);
  }

  /** When the next block may expire (ms on the injected clock; +∞ when none is recorded). */
  get nextExpiryAt(): number {
    return this.dueAt;
  }

  /** Drop every block whose time is up; returns how many. Before {@link nextExpiryAt} it walks nothing. */
  sweep(): number {
    const now = this.now();
    if (now < this.dueAt) return 0;
    let forgotten = 0;
    let dueAt = Number.POSITIVE_INFINITY;
    for (const [workerId, expiries] of this.expiries) {
      for (const [hash, expiresAt] of expiries) {
        if (expiresAt > now) {
          // The first one left is this worker's earliest.
          if (expiresAt < dueAt) dueAt = expiresAt;
          break;
        }
        expiries.delete(hash);
        this.tree.remove(workerId, hash);
        forgotten++;
      }
      if (expiries.size === 0) this.expiries.delete(workerId);
    }
    this.dueAt = dueAt;
    return forgotten;
  }
}
