import { expect } from "chai";
import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import { seededUint32 } from "#common/seeded-random.js";
import { BlockPool } from "../../../services/worker/src/engine/block-pool.js";
import { KvEventRecorder } from "../../../services/worker/src/engine/kv-events.js";
import type { KvEventData } from "../../../services/worker/src/engine/kv-events.js";
import { ReferenceBlockPool } from "./reference-block-pool.js";

const seq = (n: number | bigint): SequenceHash => BigInt(n) as SequenceHash;
const hashOf = (n: number, parent?: number, local = n + 1000) => ({
  sequence: seq(n),
  local: BigInt(local) as LocalBlockHash,
  parent: parent === undefined ? undefined : seq(parent),
});

function setup(n: number): { pool: BlockPool; events: KvEventData[] } {
  const recorder = new KvEventRecorder();
  const events: KvEventData[] = [];
  recorder.subscribe((e) => events.push(e));
  return { pool: new BlockPool(n, recorder), events };
}

describe("engine block pool: preallocated layout", () => {
  it("keeps LRU order through interleaved touch and free", () => {
    const { pool } = setup(6);
    expect(pool.allocate(6)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    pool.free([3, 1, 5]); // queue 3 1 5
    pool.touch([1]); // a prefix hit takes 1 out of the middle: 3 5
    pool.free([0]); // 3 5 0
    pool.free([1]); // back at the tail: 3 5 0 1
    pool.touch([5, 3]); // 0 1
    pool.free([5]); // 0 1 5
    pool.touch([4]); // active already: refcount 2, queue unchanged
    pool.free([4, 3]); // 0 1 5 3 (4 still held once)
    expect(pool.numFree).to.equal(4);
    expect(pool.allocate(5)).to.equal(null);
    expect(pool.allocate(4)).to.deep.equal([0, 1, 5, 3]);
    expect(pool.refCount(4)).to.equal(1);
    expect(pool.numFree).to.equal(0);
  });

  it("announces duplicate copies once and removes them with the last copy, whatever order they go in", () => {
    const { pool, events } = setup(4);
    const [a, b, c] = pool.allocate(3) as number[];
    expect([pool.cache(a, hashOf(7)), pool.cache(b, hashOf(7)), pool.cache(c, hashOf(7))]).to.deep.equal([true, false, false]);
    pool.free([b, c, a]); // queue: 3 (never used), b, c, a
    expect(pool.counts()).to.deep.equal({ active: 0, cachedFree: 3, total: 4 });
    expect(pool.lookup(seq(7))).to.equal(a); // the first copy, though freed last
    pool.allocate(2); // 3, then b (a middle copy)
    expect(pool.lookup(seq(7))).to.equal(a);
    pool.allocate(1); // c
    expect(events).to.deep.equal([]);
    pool.allocate(1); // a, the last copy
    expect(events).to.deep.equal([{ $case: "removed", removed: { sequenceHashes: [7n] } }]);
    expect(pool.lookup(seq(7))).to.equal(undefined);
  });

  it("a freed copy re-touched by a prefix hit leaves the queue and survives the eviction of the other copy", () => {
    const { pool, events } = setup(3);
    const [a, b] = pool.allocate(2) as number[];
    pool.cache(a, hashOf(9));
    pool.cache(b, hashOf(9));
    pool.free([a, b]); // queue: 2 a b
    pool.touch([b]); // queue: 2 a
    expect(pool.counts()).to.deep.equal({ active: 1, cachedFree: 1, total: 3 });
    expect(pool.allocate(2)).to.deep.equal([2, a]); // evicts the first copy: no event
    expect(events).to.deep.equal([]);
    expect(pool.lookup(seq(9))).to.equal(b);
    expect(pool.cachedHashes()).to.deep.equal([hashOf(9)]);
    pool.free([b]);
    pool.touch([b]);
    pool.free([b]);
    expect(pool.counts()).to.deep.equal({ active: 2, cachedFree: 1, total: 3 });
    expect(pool.allocate(1)).to.deep.equal([b]);
    expect(events).to.deep.equal([{ $case: "removed", removed: { sequenceHashes: [9n] } }]);
    expect(pool.counts()).to.deep.equal({ active: 3, cachedFree: 0, total: 3 });
  });

  it("drops the hashes of free blocks only; an active copy keeps its hash findable and in place", () => {
    const { pool, events } = setup(4);
    const [a, b, c] = pool.allocate(3) as number[];
    pool.cache(a, hashOf(1));
    pool.cache(b, hashOf(2, 1));
    pool.cache(c, hashOf(1)); // a second copy of 1, held
    pool.free([a, b]);
    pool.dropFreeHashes();
    expect(events).to.deep.equal([]);
    expect(pool.lookup(seq(1))).to.equal(c);
    expect(pool.lookup(seq(2))).to.equal(undefined);
    expect(pool.cachedHashes()).to.deep.equal([hashOf(1)]);
    expect(pool.counts()).to.deep.equal({ active: 1, cachedFree: 0, total: 4 });
    expect([a, b].map((id) => pool.hashOf(id))).to.deep.equal([undefined, undefined]);
  });

  it("behaves exactly as the Map/Set pool it replaced over 5,000 seeded random operations", () => {
    const N = 24;
    const rand = seededUint32(2026);
    const pick = (n: number): number => rand() % n;
    const recorders = [new KvEventRecorder(), new KvEventRecorder()];
    const seen: KvEventData[][] = [[], []];
    recorders.forEach((r, i) => r.subscribe((e) => seen[i].push(e)));
    const pool = new BlockPool(N, recorders[0]);
    const ref = new ReferenceBlockPool(N, recorders[1]);
    const held: number[] = []; // one entry per reference the test holds
    // A small hash space (so copies and re-caching are frequent) with uint64 edge values.
    const space = [...Array.from({ length: 12 }, (_, i) => BigInt(i)), 2n ** 64n - 1n, 2n ** 63n];
    const ops: Record<string, () => unknown[]> = {
      allocate: () => {
        const n = pick(6);
        const out = [pool.allocate(n), ref.allocate(n)];
        if (out[1]) held.push(...out[1]);
        return out;
      },
      touch: () => {
        const ids = Array.from({ length: pick(3) }, () => pick(N));
        const hit = ref.lookup(seq(space[pick(space.length)]));
        if (hit !== undefined) ids.push(hit);
        pool.touch(ids);
        ref.touch(ids);
        held.push(...ids);
        return [];
      },
      free: () => {
        const ids = Array.from({ length: Math.min(held.length, pick(10)) }, () => held.splice(pick(held.length), 1)[0]);
        pool.free(ids);
        ref.free(ids);
        return [];
      },
      cache: () => {
        const id = pick(N);
        const s = space[pick(space.length)];
        const parent = pick(3) === 0 ? undefined : space[pick(space.length)];
        const h = { sequence: s as SequenceHash, local: BigInt(pick(3)) as LocalBlockHash, parent: parent as SequenceHash | undefined };
        return [pool.cache(id, h), ref.cache(id, h)];
      },
      drop: () => {
        if (pick(40) === 0) {
          pool.dropFreeHashes();
          ref.dropFreeHashes();
        }
        return [];
      },
    };
    const names = Object.keys(ops);
    for (let step = 0; step < 5_000; step++) {
      const op = names[pick(names.length)];
      const [mine, theirs] = ops[op]();
      const state = (p: BlockPool | ReferenceBlockPool) => ({
        numFree: p.numFree, counts: p.counts(), cachedHashes: p.cachedHashes(),
        lookups: space.map((s) => p.lookup(seq(s))),
        blocks: Array.from({ length: N }, (_, id) => [p.refCount(id), p.hashOf(id)]),
      });
      expect({ step, op, out: mine, state: state(pool) }).to.deep.equal({ step, op, out: theirs, state: state(ref) });
    }
    expect(seen[0]).to.deep.equal(seen[1]);
    expect(seen[0].length).to.be.greaterThan(200); // the run did evict cached hashes
    // The free queue's order, seen through allocation: everything free, in LRU order.
    expect(pool.allocate(pool.numFree)).to.deep.equal(ref.allocate(ref.numFree));
  });
});
