// cache-aware's hash → node id table (hash-id-table.ts): open addressing with backward-shift
// deletion, checked against a Map on seeded random sets, gets and deletes, including keys that
// share one half and a table small enough that probe runs wrap around its end.
import { expect } from "chai";
import { HashIdTable, splitHash } from "../../../services/router/src/scheduling/hash-id-table.js";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";

const get = (t: HashIdTable, h: bigint): number => t.get(splitHash(h));
const set = (t: HashIdTable, h: bigint, id: number): void => {
  const [lo, hi] = splitHash(h);
  t.set(lo, hi, id);
};
const del = (t: HashIdTable, h: bigint): boolean => {
  const [lo, hi] = splitHash(h);
  return t.delete(lo, hi);
};

describe("cache-aware's hash → id table", () => {
  it("splits a hash into its 32-bit halves without losing bits: 0, 2^32 − 1, 2^32, 2^63, 2^64 − 1", () => {
    const halves = (h: bigint) => [...splitHash(h)].map((half) => half >>> 0);
    const [loIndex, hiIndex] = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? [0, 1] : [1, 0];
    for (const h of [0n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n, 0x0123456789abcdefn]) {
      const parts = halves(h);
      expect(BigInt(parts[loIndex]) + (BigInt(parts[hiIndex]) << 32n), `${h}`).to.equal(h);
    }
  });

  it("absent: −1 and delete false; set replaces without growing the count; ids 0 and 2^31 − 1 kept", () => {
    const t = new HashIdTable();
    expect(get(t, 5n)).to.equal(-1);
    expect(del(t, 5n)).to.equal(false);
    set(t, 5n, 0);
    set(t, 2n ** 64n - 1n, 2 ** 31 - 1);
    set(t, 5n, 7);
    expect([get(t, 5n), get(t, 2n ** 64n - 1n), t.size]).to.deep.equal([7, 2 ** 31 - 1, 2]);
    // Same low half, other high half: a different key.
    expect(get(t, 5n + 2n ** 32n)).to.equal(-1);
    expect(del(t, 5n)).to.equal(true);
    expect([get(t, 5n), t.size]).to.deep.equal([-1, 1]);
  });

  it("agrees with a Map over 20,000 seeded sets, gets and deletes (growing from 16 slots)", () => {
    const rng = seededRng(11);
    const t = new HashIdTable(1);
    const reference = new Map<bigint, number>();
    // Few distinct keys, often sharing a half, so runs collide, wrap and shift back on delete.
    const key = (): bigint => (BigInt(Math.floor(rng() * 40)) << 32n) | BigInt(Math.floor(rng() * 40));
    for (let step = 0; step < 20_000; step++) {
      const h = key();
      const op = rng();
      if (op < 0.4) {
        set(t, h, step);
        reference.set(h, step);
      } else if (op < 0.7) expect(del(t, h), `step ${step}`).to.equal(reference.delete(h));
      else expect(get(t, h), `step ${step}`).to.equal(reference.get(h) ?? -1);
      expect(t.size).to.equal(reference.size);
    }
    for (const [h, id] of reference) expect(get(t, h)).to.equal(id);
  });
});
