import { expect } from "chai";
import { IntList, NONE } from "#common/int-list.js";

/** Ids from head to tail. */
function listed(list: IntList): number[] {
  const out: number[] = [];
  for (let id = list.head; id !== NONE; id = list.after(id)) out.push(id);
  return out;
}

describe("IntList (intrusive doubly linked list over integer ids)", () => {
  it("starts empty: head and tail are NONE (-1)", () => {
    const list = new IntList(4);
    expect(NONE).to.equal(-1);
    expect([list.head, list.tail]).to.deep.equal([NONE, NONE]);
    expect(list.capacity).to.equal(4);
  });

  it("appends at the tail and unlinks the head, a middle id and the tail", () => {
    const list = new IntList(5);
    for (const id of [3, 0, 4, 1, 2]) list.append(id);
    expect(listed(list)).to.deep.equal([3, 0, 4, 1, 2]);
    list.unlink(3); // head
    list.unlink(4); // middle
    list.unlink(2); // tail
    expect(listed(list)).to.deep.equal([0, 1]);
    expect([list.head, list.tail]).to.deep.equal([0, 1]);
    list.append(3);
    expect(listed(list)).to.deep.equal([0, 1, 3]);
  });

  it("a single id is head and tail at once, and unlinking it empties the list", () => {
    const list = new IntList(1);
    list.append(0);
    expect([list.head, list.tail]).to.deep.equal([0, 0]);
    list.unlink(0);
    expect([list.head, list.tail]).to.deep.equal([NONE, NONE]);
    list.append(0);
    expect(listed(list)).to.deep.equal([0]);
  });

  it("grow keeps every listed id's links and makes room for new ids; a smaller capacity is a no-op", () => {
    const list = new IntList(2);
    list.append(1);
    list.append(0);
    list.grow(1);
    expect(list.capacity).to.equal(2);
    list.grow(5);
    expect(list.capacity).to.equal(5);
    list.append(4);
    list.unlink(0); // its links came from before the grow
    expect(listed(list)).to.deep.equal([1, 4]);
    expect(list.tail).to.equal(4);
  });
});
