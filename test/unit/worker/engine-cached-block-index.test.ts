import { expect } from "chai";
import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import { CachedBlockIndex } from "../../../services/worker/src/engine/cached-block-index.js";

const MAX_U64 = 2n ** 64n - 1n;
const seq = (n: bigint | number): SequenceHash => BigInt(n) as SequenceHash;
const id = (sequence: bigint | number, parent?: bigint | number, local: bigint | number = 7n) => ({
  sequence: seq(sequence),
  local: BigInt(local) as LocalBlockHash,
  parent: parent === undefined ? undefined : seq(parent),
});

describe("engine cached block index (typed arrays, copy chains)", () => {
  it("finds the first copy in insertion order while copies leave from the middle, the head and the tail", () => {
    const ix = new CachedBlockIndex(8);
    expect(ix.add(1, id(5))).to.equal(true);
    expect(ix.add(3, id(5))).to.equal(false);
    expect(ix.add(6, id(5))).to.equal(false);
    expect(ix.lookup(seq(5))).to.equal(1);
    expect(ix.remove(3)).to.equal(undefined); // middle
    expect(ix.lookup(seq(5))).to.equal(1);
    expect(ix.remove(1)).to.equal(undefined); // head: the next copy becomes first
    expect(ix.lookup(seq(5))).to.equal(6);
    expect(ix.add(2, id(5))).to.equal(false); // joins after 6
    expect(ix.add(0, id(5))).to.equal(false);
    expect(ix.remove(0)).to.equal(undefined); // tail: 2 is the last copy now
    expect(ix.add(4, id(5))).to.equal(false); // so 4 joins after 2
    expect(ix.remove(6)).to.equal(undefined);
    expect(ix.lookup(seq(5))).to.equal(2);
    expect(ix.remove(2)).to.equal(undefined);
    expect(ix.lookup(seq(5))).to.equal(4);
    expect(ix.remove(4)).to.equal(seq(5)); // the last copy
    expect(ix.lookup(seq(5))).to.equal(undefined);
    expect([0, 1, 2, 3, 4, 6].map((b) => ix.isCached(b))).to.deep.equal([false, false, false, false, false, false]);
    expect(ix.add(3, id(5))).to.equal(true); // new again once gone
  });

  it("keeps a hash's place in firstCopies when its first copy goes and a later copy takes over", () => {
    const ix = new CachedBlockIndex(6);
    ix.add(0, id(10, undefined, 1));
    ix.add(1, id(11, 10));
    ix.add(2, id(10, undefined, 2)); // a second copy of 10 (a different local, to tell them apart)
    ix.add(3, id(12, 11));
    ix.remove(0);
    expect(ix.firstCopies()).to.deep.equal([id(10, undefined, 2), id(11, 10), id(12, 11)]);
    ix.remove(1);
    ix.add(4, id(11, 10)); // 11 came back: it is now the newest
    expect(ix.firstCopies().map((h) => h.sequence)).to.deep.equal([seq(10), seq(12), seq(11)]);
  });

  it("tells a first block (no parent) from a block whose parent hash is 0", () => {
    const ix = new CachedBlockIndex(3);
    ix.add(0, id(1));
    ix.add(1, id(2, 0));
    ix.add(2, id(3, MAX_U64));
    expect(ix.hashOf(0)).to.deep.equal({ sequence: 1n, local: 7n, parent: undefined });
    expect(ix.hashOf(1)).to.deep.equal({ sequence: 2n, local: 7n, parent: 0n });
    expect(ix.hashOf(2)?.parent).to.equal(MAX_U64);
    ix.remove(1);
    expect(ix.hashOf(1)).to.equal(undefined);
    ix.add(1, id(4)); // the reused slot drops the old has-parent flag
    expect(ix.hashOf(1)).to.deep.equal({ sequence: 4n, local: 7n, parent: undefined });
  });

  it("holds hashes over the whole uint64 range and rejects what the typed arrays would wrap", () => {
    const ix = new CachedBlockIndex(4);
    expect(ix.add(0, id(0n, undefined, 0n))).to.equal(true);
    expect(ix.add(1, id(MAX_U64, MAX_U64, MAX_U64))).to.equal(true);
    expect(ix.lookup(seq(MAX_U64))).to.equal(1);
    expect(ix.hashOf(1)).to.deep.equal({ sequence: MAX_U64, local: MAX_U64, parent: MAX_U64 });
    expect(ix.remove(1)).to.equal(MAX_U64);
    expect(ix.remove(0)).to.equal(0n);
    expect(() => ix.add(2, id(MAX_U64 + 1n))).to.throw(RangeError, /sequence/);
    expect(() => ix.add(2, id(-1n))).to.throw(RangeError, /sequence/);
    expect(() => ix.add(2, id(1, undefined, MAX_U64 + 1n))).to.throw(RangeError, /local/);
    expect(() => ix.add(2, id(1, -1n))).to.throw(RangeError, /parent/);
    expect(ix.isCached(2)).to.equal(false); // a rejected add leaves nothing behind
    expect(ix.firstCopies()).to.deep.equal([]);
  });
});
