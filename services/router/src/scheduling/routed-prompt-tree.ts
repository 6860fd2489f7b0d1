/**
 * cache-aware's approximate tree of routed prompts (SGLang's router keeps one per model): which
 * worker was sent which prompt prefixes, by block. A sequence hash names its whole prefix, so a
 * map from sequence hash to its workers is a radix tree over blocks whose paths are implicit.
 * Nothing here comes from the workers' caches: it is the router's guess, hence "approximate".
 */

/** One (block, worker) entry: when it was last routed there, and its depth in the prompt. */
interface Entry {
  lastUsedMs: number;
  readonly depth: number;
}

/** How often the tree is trimmed (SGLang's eviction interval). */
export const EVICTION_INTERVAL_MS = 120_000;

/** Routed prompt prefixes per worker, trimmed LRU every 120 s down to a size cap. */
export class RoutedPromptTree {
  private readonly nodes = new Map<bigint, Map<string, Entry>>();
  private entries = 0;
  private lastEvictionMs: number;

  /** `now` is ms from an injected clock; `maxEntries` caps (block, worker) entries after each trim. */
  constructor(
    private readonly now: () => number,
    readonly maxEntries: number,
  ) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 0)) throw new RangeError(`maxEntries must be an integer ≥ 0, got ${maxEntries}`);
    this.lastEvictionMs = now();
  }

  /** (block, worker) entries held. */
  get size(): number {
    return this.entries;
  }

  /**
   * Per worker, how many leading blocks of `hashes` were routed to it (absent: none). Only the
   * workers whose run is unbroken are checked at each block (compacted in place), not every
   * worker the block was ever routed to.
   */
  match(hashes: readonly bigint[]): Map<string, number> {
    this.maybeEvict();
    const matched = new Map<string, number>();
    const first = hashes.length > 0 ? this.nodes.get(hashes[0]) : undefined;
    if (first === undefined) return matched;
    const live = [...first.keys()];
    // Set first so the map lists workers in the first block's order; runs update in place.
    for (const workerId of live) matched.set(workerId, 1);
    let depth = 1;
    for (; depth < hashes.length && live.length > 0; depth++) {
      const node = this.nodes.get(hashes[depth]);
      if (node === undefined) break;
      let kept = 0;
      for (let k = 0; k < live.length; k++) {
        if (node.has(live[k])) live[kept++] = live[k];
        else matched.set(live[k], depth);
      }
      live.length = kept;
    }
    for (const workerId of live) matched.set(workerId, depth);
    return matched;
  }

  /** `hashes` were routed to `workerId`: insert or touch every block. */
  insert(hashes: readonly bigint[], workerId: string): void {
    this.maybeEvict();
    const at = this.now();
    hashes.forEach((hash, depth) => {
      let node = this.nodes.get(hash);
      if (node === undefined) this.nodes.set(hash, (node = new Map()));
      const entry = node.get(workerId);
      if (entry !== undefined) entry.lastUsedMs = at;
      else {
        node.set(workerId, { lastUsedMs: at, depth });
        this.entries++;
      }
    });
  }

  /** Every 120 s: drop least recently used entries (deepest first among equals) down to the cap. */
  private maybeEvict(): void {
    const at = this.now();
    if (at - this.lastEvictionMs < EVICTION_INTERVAL_MS) return;
    this.lastEvictionMs = at;
    if (this.entries <= this.maxEntries) return;
    const all: { hash: bigint; workerId: string; entry: Entry }[] = [];
    for (const [hash, node] of this.nodes) for (const [workerId, entry] of node) all.push({ hash, workerId, entry });
    // A prefix is touched whenever its extension is, so it is never older: leaves go first.
    all.sort((a, b) => a.entry.lastUsedMs - b.entry.lastUsedMs || b.entry.depth - a.entry.depth);
    for (let i = 0; i < all.length && this.entries > this.maxEntries; i++) {
      const node = this.nodes.get(all[i].hash)!;
      node.delete(all[i].workerId);
      if (node.size === 0) this.nodes.delete(all[i].hash);
      this.entries--;
    }
  }
}
