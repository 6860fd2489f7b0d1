// The radix tree keeps a block's holders as a bit set of worker slots (32 per word): matches
// must equal a plain per-worker reference for fleets across word boundaries (slots 31, 32, 63,
// 64), with blocks removed mid-chain and workers cleared and their slots reused.
import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import { seededRandom } from "#common/seeded-random.js";
import { RadixTree } from "../../../services/router/src/indexer/radix-tree.js";

const BS = 2;
const BLOCKS = 12;

/** Reference: a worker's overlap is its leading run of held sequence hashes. */
function reference(held: Map<string, Set<bigint>>, sequence: readonly bigint[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [worker, hashes] of held) {
    let depth = 0;
    while (depth < sequence.length && hashes.has(sequence[depth])) depth++;
    if (depth > 0) out.set(worker, depth);
  }
  return out;
}

const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe("radix tree: holders as bit sets of worker slots", () => {
  for (const workers of [1, 31, 32, 33, 64, 65, 100]) {
    it(`${workers} workers: random stores, removals and clears match the per-worker reference`, () => {
      const rng = seededRandom(workers);
      // Four prompts sharing leading blocks, so nodes have many holders.
      const prompts = [0, 1, 2, 3].map((p) => hashBlocks(Array.from({ length: BLOCKS * BS }, (_, i) => (i < 6 * BS ? i : p * 1000 + i)), BS));
      const tree = new RadixTree();
      const held = new Map<string, Set<bigint>>();
      const ids = Array.from({ length: workers }, (_, w) => `w${w}`);
      for (let step = 0; step < 40 * workers + 200; step++) {
        const worker = ids[Math.floor(rng() * workers)];
        const prompt = prompts[Math.floor(rng() * prompts.length)];
        const roll = rng();
        if (roll < 0.7) {
          const n = 1 + Math.floor(rng() * BLOCKS);
          tree.store(worker, undefined, prompt.local.slice(0, n).map((localHash, i) => ({ localHash, sequenceHash: prompt.sequence[i] })));
          const set = held.get(worker) ?? new Set<bigint>();
          prompt.sequence.slice(0, n).forEach((h) => set.add(h));
          held.set(worker, set);
        } else if (roll < 0.95) {
          const h = prompt.sequence[Math.floor(rng() * BLOCKS)];
          if (tree.remove(worker, h)) held.get(worker)!.delete(h);
        } else {
          tree.clearWorker(worker);
          held.delete(worker);
        }
        const probe = prompts[step % prompts.length];
        expect(sorted(tree.findMatches(probe.local))).to.deep.equal(sorted(reference(held, probe.sequence)), `step ${step}`);
      }
    });
  }

  it("a cleared worker's slot goes to the next worker without inheriting its blocks", () => {
    const h = hashBlocks([1, 2, 3, 4], BS);
    const blocks = h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] }));
    const tree = new RadixTree();
    for (let w = 0; w < 40; w++) tree.store(`w${w}`, undefined, blocks);
    tree.clearWorker("w35");
    tree.store("late", undefined, blocks.slice(0, 1));
    const matches = tree.findMatches(h.local);
    expect(matches.get("late")).to.equal(1);
    expect(matches.has("w35")).to.equal(false);
    expect(matches.get("w34")).to.equal(2);
    expect(matches.size).to.equal(40);
  });
});
