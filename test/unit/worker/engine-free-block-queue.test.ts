import { expect } from "chai";
import { FreeBlockQueue } from "../../../services/worker/src/engine/free-block-queue.js";

describe("engine free block queue (intrusive LRU list)", () => {
  it("starts with every block free in id order", () => {
    const q = new FreeBlockQueue(4);
    expect(q.size).to.equal(4);
    expect(q.ids()).to.deep.equal([0, 1, 2, 3]);
    expect([0, 1, 2, 3].map((id) => q.has(id))).to.deep.equal([true, true, true, true]);
  });

  it("removes the head, a middle block and the tail, and appends at the tail", () => {
    const q = new FreeBlockQueue(5);
    q.remove(0); // head
    q.remove(2); // middle
    q.remove(4); // tail
    expect(q.ids()).to.deep.equal([1, 3]);
    expect(q.size).to.equal(2);
    q.append(4);
    q.append(0);
    q.append(2);
    expect(q.ids()).to.deep.equal([1, 3, 4, 0, 2]);
    expect(q.popHead()).to.equal(1);
    q.remove(2); // the new tail
    q.append(1);
    expect(q.ids()).to.deep.equal([3, 4, 0, 1]);
  });

  it("empties down to nothing and refills (a single block is head and tail at once)", () => {
    const q = new FreeBlockQueue(2);
    expect([q.popHead(), q.popHead()]).to.deep.equal([0, 1]);
    expect(q.size).to.equal(0);
    expect(q.ids()).to.deep.equal([]);
    expect(() => q.popHead()).to.throw(/empty/);
    q.append(1);
    expect(q.ids()).to.deep.equal([1]);
    q.remove(1);
    expect(q.size).to.equal(0);
    q.append(0);
    q.append(1);
    expect(q.ids()).to.deep.equal([0, 1]);
  });

  it("refuses to queue a block twice or to remove one not queued (a refcount bug, not silently absorbed)", () => {
    const q = new FreeBlockQueue(3);
    expect(() => q.append(1)).to.throw(/already free/);
    q.remove(1);
    expect(q.has(1)).to.equal(false);
    expect(() => q.remove(1)).to.throw(/not free/);
    expect(q.ids()).to.deep.equal([0, 2]);
    expect(q.size).to.equal(2);
  });

  it("an empty pool has an empty queue", () => {
    const q = new FreeBlockQueue(0);
    expect(q.size).to.equal(0);
    expect(() => q.popHead()).to.throw(/empty/);
  });
});
