/** One worker's references to one block; the workers holding a block form a short list. */
interface RefNode {
  readonly workerId: string;
  count: number;
  next: RefNode | undefined;
}

/**
 * Reference counts of active blocks: sequence hash → worker → count. Keyed by hash first, so
 * one pass over a request's hashes answers "already active" for every worker at once. A block
 * is rarely active on more than a few workers, so each hash keeps a linked list rather than a
 * Map: one small allocation per (block, worker), which keeps routing's garbage (and the
 * scavenges that would show in p99 latency) low.
 */
export class BlockRefs {
  private readonly heads = new Map<bigint, RefNode>();

  /** Add a reference; true when the block just became active on this worker. */
  acquire(hash: bigint, workerId: string): boolean {
    const head = this.heads.get(hash);
    for (let n = head; n !== undefined; n = n.next) {
      if (n.workerId === workerId) {
        n.count++;
        return false;
      }
    }
    this.heads.set(hash, { workerId, count: 1, next: head });
    return true;
  }

  /** Drop a reference; true when the block is no longer active on this worker. */
  release(hash: bigint, workerId: string): boolean {
    let previous: RefNode | undefined;
    for (let n = this.heads.get(hash); n !== undefined; previous = n, n = n.next) {
      if (n.workerId !== workerId) continue;
      if (--n.count > 0) return false;
      if (previous !== undefined) previous.next = n.next;
      else if (n.next !== undefined) this.heads.set(hash, n.next);
      else this.heads.delete(hash);
      return true;
    }
    return false;
  }

  /**
   * Per worker, how many of a request's `hashes` (its sequence hashes, in order) are active on
   * it (absent: none). Every admitted request holds a whole chain from its first block, and a
   * sequence hash names its prefix, so whoever holds block i holds 0..i-1 too: the first hash
   * active nowhere ends the walk (most of a fresh prompt is never looked up).
   */
  countPerWorker(hashes: readonly bigint[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const hash of hashes) {
      const head = this.heads.get(hash);
      if (head === undefined) break;
      for (let n: RefNode | undefined = head; n !== undefined; n = n.next) {
        counts.set(n.workerId, (counts.get(n.workerId) ?? 0) + 1);
      }
    }
    return counts;
  }
}
