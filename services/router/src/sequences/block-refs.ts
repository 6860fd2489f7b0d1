/**
 * Reference counts of active blocks: worker → sequence hash → count (a prefix shared by several
 * requests on one worker counts once). Counts are plain numbers in one Map per worker, so
 * admitting a request allocates no object per block (per-block nodes were the garbage whose
 * scavenges showed in routing p99).
 *
 * Every admitted request holds a whole chain of sequence hashes from its first block, and a
 * sequence hash names its whole prefix, so whoever holds block i of a request holds blocks
 * 0..i-1 too: the blocks of a request active on a worker are always a leading run. That makes
 * "how many are already active" a binary search per worker instead of a walk over the prompt.
 */
export class BlockRefs {
  private readonly byWorker = new Map<string, Map<bigint, number>>();

  /** Add a reference to each of `hashes` on `workerId`; returns how many became active. */
  acquireAll(hashes: readonly bigint[], workerId: string): number {
    let counts = this.byWorker.get(workerId);
    if (counts === undefined) {
      counts = new Map();
      this.byWorker.set(workerId, counts);
    }
    let fresh = 0;
    for (const hash of hashes) {
      const count = counts.get(hash);
      counts.set(hash, count === undefined ? 1 : count + 1);
      if (count === undefined) fresh++;
    }
    return fresh;
  }

  /** Drop a reference to each of `hashes` on `workerId`; returns how many are no longer active. */
  releaseAll(hashes: readonly bigint[], workerId: string): number {
    const counts = this.byWorker.get(workerId);
    if (counts === undefined) return 0;
    let gone = 0;
    for (const hash of hashes) {
      const count = counts.get(hash);
      if (count === undefined) continue;
      if (count > 1) counts.set(hash, count - 1);
      else {
        counts.delete(hash);
        gone++;
      }
    }
    if (counts.size === 0) this.byWorker.delete(workerId);
    return gone;
  }

  /** Per worker, how many of a request's `hashes` (its sequence hashes, in order) are active on it (absent: none). */
  countPerWorker(hashes: readonly bigint[]): Map<string, number> {
    const result = new Map<string, number>();
    if (hashes.length === 0) return result;
    for (const [workerId, counts] of this.byWorker) {
      if (!counts.has(hashes[0])) continue;
      // Largest run length `lo` with hashes[lo - 1] active (the run is leading, see above).
      let lo = 1;
      let hi = hashes.length;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (counts.has(hashes[mid - 1])) lo = mid;
        else hi = mid - 1;
      }
      result.set(workerId, lo);
    }
    return result;
  }
}
