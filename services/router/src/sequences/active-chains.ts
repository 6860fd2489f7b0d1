/**
 * The active blocks of each worker, kept as the block chains (sequence hashes from block 0) of
 * its requests in flight; a prefix shared by several requests counts once.
 *
 * A sequence hash names its whole prefix, so two chains agree at block i only if they agree
 * at every block before it: the blocks two chains share are a common leading run, found by a
 * binary search. Hence a worker's distinct active blocks grow by `length − longest shared run`
 * when a chain is added (and shrink the same way when it leaves), and the blocks of a request
 * already active on a worker are its longest shared run with any of that worker's chains.
 * No per-block entry is stored: admitting and freeing a request allocate nothing per block
 * (per-block map entries and nodes were the garbage whose scavenges showed in routing p99).
 */
export class ActiveChains {
  private readonly byWorker = new Map<string, (readonly bigint[])[]>();

  /** Add a request's chain on `workerId`; returns how many of its blocks became active there. */
  add(chain: readonly bigint[], workerId: string): number {
    let chains = this.byWorker.get(workerId);
    if (chains === undefined) {
      chains = [];
      this.byWorker.set(workerId, chains);
    }
    const fresh = chain.length - longestRun(chain, chains);
    chains.push(chain);
    return fresh;
  }

  /** Remove a chain added before; returns how many blocks are no longer active on `workerId`. */
  remove(chain: readonly bigint[], workerId: string): number {
    const chains = this.byWorker.get(workerId);
    const at = chains?.indexOf(chain) ?? -1;
    if (chains === undefined || at < 0) return 0;
    chains[at] = chains[chains.length - 1];
    chains.pop();
    if (chains.length === 0) this.byWorker.delete(workerId);
    return chain.length - longestRun(chain, chains);
  }

  /** How many leading blocks of `chain` are active on `workerId` (one lookup, no allocation). */
  sharedOn(workerId: string, chain: readonly bigint[]): number {
    const chains = this.byWorker.get(workerId);
    return chains === undefined ? 0 : longestRun(chain, chains);
  }

  /** Per worker, how many leading blocks of `chain` are active on it (absent: none). */
  sharedPerWorker(chain: readonly bigint[]): Map<string, number> {
    const result = new Map<string, number>();
    for (const [workerId, chains] of this.byWorker) {
      const run = longestRun(chain, chains);
      if (run > 0) result.set(workerId, run);
    }
    return result;
  }
}

/** The longest common leading run of `chain` with any of `chains`. */
function longestRun(chain: readonly bigint[], chains: readonly (readonly bigint[])[]): number {
  let best = 0;
  for (const other of chains) {
    if (best === chain.length) break;
    best = Math.max(best, commonRun(chain, other));
  }
  return best;
}

/** Length of the common leading run of two chains (binary search; see the class comment). */
function commonRun(a: readonly bigint[], b: readonly bigint[]): number {
  let hi = Math.min(a.length, b.length);
  if (hi === 0 || a[0] !== b[0]) return 0;
  if (a[hi - 1] === b[hi - 1]) return hi;
  // Invariant: a[lo - 1] === b[lo - 1], a[hi - 1] !== b[hi - 1].
  let lo = 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (a[mid - 1] === b[mid - 1]) lo = mid;
    else hi = mid;
  }
  return lo;
}
