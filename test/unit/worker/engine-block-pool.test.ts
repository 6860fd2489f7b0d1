import { expect } from "chai";
import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import { BlockPool } from "../../../services/worker/src/engine/block-pool.js";
import { KvEventRecorder } from "../../../services/worker/src/engine/kv-events.js";
import type { KvEventData } from "../../../services/worker/src/engine/kv-events.js";

const seq = (n: number): SequenceHash => BigInt(n) as SequenceHash;
const hashOf = (n: number, parent?: number) => ({
  sequence: seq(n),
  local: BigInt(n + 1000) as LocalBlockHash,
  parent: parent === undefined ? undefined : seq(parent),
});

function setup(n: number): { pool: BlockPool; events: KvEventData[]; recorder: KvEventRecorder } {
  const recorder = new KvEventRecorder();
  const events: KvEventData[] = [];
  recorder.subscribe((e) => events.push(e));
  return { pool: new BlockPool(n, recorder), events, recorder };
}

describe("engine block pool", () => {
  it("allocates from the LRU head and returns null (taking nothing) when short", () => {
    const { pool } = setup(4);
    expect(pool.allocate(3)).to.deep.equal([0, 1, 2]);
    expect(pool.allocate(2)).to.equal(null);
    expect(pool.numFree).to.equal(1);
    pool.free([2, 0]);
    // Free queue is now 3, 2, 0: the least recently freed comes first.
    expect(pool.allocate(3)).to.deep.equal([3, 2, 0]);
  });

  it("counts active, cached-free and total blocks through touch and free", () => {
    const { pool } = setup(4);
    const [a, b] = pool.allocate(2) as number[];
    pool.cache(a, hashOf(1));
    pool.touch([a]);
    expect(pool.refCount(a)).to.equal(2);
    expect(pool.counts()).to.deep.equal({ active: 2, cachedFree: 0, total: 4 });
    pool.free([a, b]);
    expect(pool.counts()).to.deep.equal({ active: 1, cachedFree: 0, total: 4 });
    pool.free([a]);
    expect(pool.counts()).to.deep.equal({ active: 0, cachedFree: 1, total: 4 });
    expect(pool.lookup(seq(1))).to.equal(a);
    pool.touch([a]);
    expect(pool.counts()).to.deep.equal({ active: 1, cachedFree: 0, total: 4 });
    expect(() => pool.free([b])).to.throw(/freed more often/);
  });

  it("keeps a freed cached block findable until it is evicted, then emits removed", () => {
    const { pool, events } = setup(2);
    const [a, b] = pool.allocate(2) as number[];
    pool.cache(a, hashOf(10));
    pool.cache(b, hashOf(11, 10));
    pool.free([b, a]); // tail first, as a request frees
    expect(pool.lookup(seq(10))).to.equal(a);
    expect(pool.allocate(1)).to.deep.equal([b]);
    expect(pool.lookup(seq(11))).to.equal(undefined);
    expect(pool.lookup(seq(10))).to.equal(a);
    expect(events).to.deep.equal([{ $case: "removed", removed: { sequenceHashes: [11n] } }]);
  });

  it("reports a hash new only for its first copy and removed only with its last", () => {
    const { pool, events } = setup(3);
    const [a, b] = pool.allocate(2) as number[];
    expect(pool.cache(a, hashOf(5))).to.equal(true);
    expect(pool.cache(b, hashOf(5))).to.equal(false);
    expect(pool.cache(a, hashOf(5))).to.equal(false); // already cached
    pool.free([a, b]);
    expect(pool.counts().cachedFree).to.equal(2);
    pool.allocate(2); // block 2 (never used), then a
    expect(events).to.deep.equal([]);
    pool.allocate(1); // b, the last copy
    expect(events).to.deep.equal([{ $case: "removed", removed: { sequenceHashes: [5n] } }]);
    expect(pool.counts()).to.deep.equal({ active: 3, cachedFree: 0, total: 3 });
  });

  it("hands every change to its listeners in order, unnumbered (the worker's ring numbers them)", () => {
    const recorder = new KvEventRecorder();
    const seen: string[] = [];
    const off = recorder.subscribe((c) => seen.push(`a:${c.$case}`));
    recorder.subscribe((c) => seen.push(`b:${c.$case}`));
    recorder.cleared();
    recorder.removed([]); // nothing to say: no change
    recorder.stored(undefined, []); // likewise
    recorder.stored(undefined, [{ sequenceHash: 1n, localHash: 1n }]);
    off();
    recorder.cleared();
    expect(seen).to.deep.equal(["a:cleared", "b:cleared", "a:stored", "b:stored", "b:cleared"]);
    expect(recorder).to.not.have.property("lastEventId");
  });
});
