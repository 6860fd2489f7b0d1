// cache-aware's tree of routed prompts keeps recency as a list (routed-prompt-tree.ts) where it
// used to stamp every (block, worker) entry with the clock and sort them all at each trim.
// Checked here against that earlier definition, kept as a plain reference: entries stamped
// with their last use, trimmed every 120 s to the cap by (last use, deepest first). With a
// clock that moves between inserts the two agree on every match and size; in the same
// millisecond the later insert is the more recent (the reference would interleave by depth).
import { expect } from "chai";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";
import { EVICTION_INTERVAL_MS, RoutedPromptTree } from "../../../services/router/src/scheduling/routed-prompt-tree.js";

interface Stamp {
  lastUsed: number;
  readonly depth: number;
}

/** The earlier tree: per hash, its workers in the order they were routed there, each stamped. */
class ReferenceTree {
  readonly blocks = new Map<bigint, Map<string, Stamp>>();
  private lastTrim: number;
  constructor(
    private readonly now: () => number,
    private readonly cap: number,
  ) {
    this.lastTrim = now();
  }
  get size(): number {
    let n = 0;
    for (const workers of this.blocks.values()) n += workers.size;
    return n;
  }
  insert(hashes: readonly bigint[], workerId: string): void {
    this.trim();
    hashes.forEach((h, depth) => {
      const workers = this.blocks.get(h) ?? new Map<string, Stamp>();
      this.blocks.set(h, workers);
      const stamp = workers.get(workerId);
      if (stamp === undefined) workers.set(workerId, { lastUsed: this.now(), depth });
      else stamp.lastUsed = this.now();
    });
  }
  match(hashes: readonly bigint[]): Map<string, number> {
    this.trim();
    const matched = new Map<string, number>();
    for (const workerId of this.blocks.get(hashes[0])?.keys() ?? []) {
      let run = 0;
      while (run < hashes.length && this.blocks.get(hashes[run])?.has(workerId) === true) run++;
      matched.set(workerId, run);
    }
    return matched;
  }
  private trim(): void {
    if (this.now() - this.lastTrim < EVICTION_INTERVAL_MS) return;
    this.lastTrim = this.now();
    const all = [...this.blocks].flatMap(([hash, workers]) => [...workers].map(([workerId, stamp]) => ({ hash, workerId, stamp })));
    all.sort((a, b) => a.stamp.lastUsed - b.stamp.lastUsed || b.stamp.depth - a.stamp.depth);
    for (let i = 0; this.size > this.cap; i++) {
      const workers = this.blocks.get(all[i].hash)!;
      workers.delete(all[i].workerId);
      if (workers.size === 0) this.blocks.delete(all[i].hash);
    }
  }
}

/** Seeded prompts whose block hashes name their whole prefix, as sequence hashes do. */
function promptMaker(rng: () => number): () => bigint[] {
  const ids = new Map<string, bigint>();
  return () => {
    const blocks = 1 + Math.floor(rng() * 14);
    // A small alphabet per block, so prompts share prefixes of every length.
    const tokens = Array.from({ length: blocks }, (_, i) => (i < 4 ? Math.floor(rng() * 3) : Math.floor(rng() * 6)));
    return tokens.map((_, i) => {
      const key = tokens.slice(0, i + 1).join(",");
      if (!ids.has(key)) ids.set(key, BigInt(ids.size) * 0x9e3779b97f4a7c15n % 2n ** 64n);
      return ids.get(key)!;
    });
  };
}

describe("cache-aware's tree: recency as a list, against the stamped-and-sorted reference", () => {
  for (const cap of [0, 1, 40, 400]) {
    it(`agrees on every match (as a Map and per candidate) and size over 3,000 seeded steps, 70 workers, cap ${cap}`, () => {
      const rng = seededRng(5 + cap);
      let now = 0;
      const tree = new RoutedPromptTree(() => now, cap);
      const reference = new ReferenceTree(() => now, cap);
      const prompt = promptMaker(rng);
      const everyone = Array.from({ length: 71 }, (_, w) => ({ workerId: `w${70 - w}` }));
      for (let step = 0; step < 3000; step++) {
        // The clock moves on every step (a trim every ~120 steps).
        now += 1 + Math.floor(rng() * 2000);
        const p = prompt();
        if (rng() < 0.6) {
          const workerId = `w${Math.floor(rng() * 70)}`;
          tree.insert(p, workerId);
          reference.insert(p, workerId);
        } else {
          const expected = reference.match(p);
          expect([...tree.match(p)], `step ${step}`).to.deep.equal([...expected]);
          // The policy's form: per candidate, in candidate order; a worker never routed to (w70) has 0.
          expect(tree.matchEach(p, everyone), `step ${step}`).to.deep.equal(everyone.map((c) => expected.get(c.workerId) ?? 0));
        }
        expect([tree.size, tree.blocks], `step ${step}`).to.deep.equal([reference.size, reference.blocks.size]);
      }
    });
  }

  it("after every trim the tree holds at most the cap: 20,000 distinct 8-block prompts, cap 500", () => {
    let now = 0;
    const tree = new RoutedPromptTree(() => now, 500);
    for (let i = 0; i < 20_000; i++) {
      now += 50; // a trim every 2,400 inserts, each adding 8 entries
      const before = tree.size;
      tree.insert(Array.from({ length: 8 }, (_, d) => BigInt(i * 8 + d + 1)), `w${i % 3}`);
      if (tree.size < before) expect(tree.size, `insert ${i}`).to.equal(500 + 8);
    }
    now += EVICTION_INTERVAL_MS;
    tree.match([1n]);
    expect([tree.size, tree.blocks]).to.deep.equal([500, 500]);
  });

  it("in the same millisecond the later insert is the more recent: its blocks outlive the earlier insert's", () => {
    let now = 0;
    const tree = new RoutedPromptTree(() => now, 3);
    tree.insert([1n, 2n], "A");
    tree.insert([7n, 8n, 9n], "B");
    now = EVICTION_INTERVAL_MS;
    // Dropped: all of A (2, then 1). The reference would drop B's 9 (deepest), then A's 2.
    expect([...tree.match([1n, 2n])]).to.deep.equal([]);
    expect([...tree.match([7n, 8n, 9n])]).to.deep.equal([["B", 3]]);
  });
});
