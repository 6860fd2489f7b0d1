// cache-aware's tree matches on bit sets of worker slots (routed-prompt-tree.ts), 32 workers a
// word: checked against the plain definition (a worker's run = leading blocks routed to it) on
// seeded random prompts over 70 workers (three words), and across a slot given back by a worker
// whose entries were all trimmed and taken by a new worker.
import { expect } from "chai";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";
import { EVICTION_INTERVAL_MS, RoutedPromptTree } from "../../../services/router/src/scheduling/routed-prompt-tree.js";

const hashes = (...ids: number[]): bigint[] => ids.map((i) => BigInt(i));

/** Per sequence hash, the workers it was routed to, in insertion order: the plain definition. */
function plainMatch(routed: Map<bigint, string[]>, query: readonly bigint[]): Map<string, number> {
  const matched = new Map<string, number>();
  for (const workerId of routed.get(query[0]) ?? []) {
    let run = 0;
    while (run < query.length && (routed.get(query[run]) ?? []).includes(workerId)) run++;
    matched.set(workerId, run);
  }
  return matched;
}

describe("cache-aware's tree: matching on worker-slot bit sets", () => {
  it("agrees with the plain definition over 70 workers and 1,500 seeded inserts and matches", () => {
    const rng = seededRng(3);
    const tree = new RoutedPromptTree(() => 0, 1 << 20);
    const routed = new Map<bigint, string[]>();
    // Prompts share prefixes: block i of family f is f * 100 + i, plus a tail of its own.
    const prompt = (): bigint[] => {
      const family = Math.floor(rng() * 5);
      const shared = Math.floor(rng() * 12);
      const own = Math.floor(rng() * 4);
      const tail = Math.floor(rng() * 1000) * 1000;
      return [...Array.from({ length: shared }, (_, i) => BigInt(family * 100 + i)), ...Array.from({ length: own }, (_, i) => BigInt(1_000_000 + tail + i))];
    };
    for (let step = 0; step < 1500; step++) {
      const p = prompt();
      if (p.length === 0) continue;
      if (rng() < 0.6) {
        const workerId = `w${Math.floor(rng() * 70)}`;
        tree.insert(p, workerId);
        for (const h of p) {
          const workers = routed.get(h) ?? [];
          if (!workers.includes(workerId)) workers.push(workerId);
          routed.set(h, workers);
        }
      } else {
        expect([...tree.match(p)], `step ${step}`).to.deep.equal([...plainMatch(routed, p)]);
      }
    }
  });

  it("a worker whose entries were all trimmed gives its slot back; the next worker in it matches only its own", () => {
    let now = 0;
    const tree = new RoutedPromptTree(() => now, 2);
    tree.insert(hashes(1, 2), "A");
    now = 10;
    tree.insert(hashes(1, 2), "B");
    now = EVICTION_INTERVAL_MS + 10;
    // The trim drops A's two (oldest) entries: A has none left and its slot is free.
    expect([...tree.match(hashes(1, 2))]).to.deep.equal([["B", 2]]);
    tree.insert(hashes(1), "C");
    expect([...tree.match(hashes(1, 2))]).to.deep.equal([["B", 2], ["C", 1]]);
    expect([...tree.match(hashes(2))]).to.deep.equal([["B", 1]]);
    expect(tree.size).to.equal(3);
  });

  it("a trimmed block re-routed later is found again, not through a shortcut to its trimmed node", () => {
    let now = 0;
    const tree = new RoutedPromptTree(() => now, 1);
    tree.insert(hashes(1, 2), "A");
    now = EVICTION_INTERVAL_MS;
    expect([...tree.match(hashes(1, 2))]).to.deep.equal([["A", 1]]); // block 2 (deeper) trimmed
    tree.insert(hashes(1, 2), "B");
    expect([...tree.match(hashes(1, 2))]).to.deep.equal([["A", 1], ["B", 2]]);
    tree.insert(hashes(1, 3), "A");
    expect([...tree.match(hashes(1, 2))]).to.deep.equal([["A", 1], ["B", 2]]);
    expect([...tree.match(hashes(1, 3))]).to.deep.equal([["A", 2], ["B", 1]]);
  });
});
