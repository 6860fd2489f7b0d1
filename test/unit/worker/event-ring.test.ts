import { expect } from "chai";
import { EventRing, isOutOfRange } from "../../../services/worker/src/events/event-ring.js";
import type { KvEventData } from "../../../services/worker/src/engine/kv-events.js";
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";

function stored(hash: bigint): KvEventData {
  return { $case: "stored", stored: { blocks: [{ sequenceHash: hash, localHash: hash }] } };
}

/** Deterministic LCG so batch sizes vary but every run is the same. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A ring bounded in events: every event costs 1. */
function byCount(events: number): EventRing {
  return new EventRing(events, () => 1);
}

function ids(events: readonly KvEvent[]): bigint[] {
  return events.map((e) => e.eventId);
}

describe("EventRing", () => {
  it("numbers events 1, 2, 3... without gaps across batches of any size", () => {
    const ring = byCount(1000);
    const random = seeded(42);
    const all: KvEvent[] = [];
    for (let i = 0; i < 50; i++) {
      const n = Math.floor(random() * 5); // empty batches included
      all.push(...ring.append(Array.from({ length: n }, (_, j) => stored(BigInt(i * 10 + j)))));
    }
    expect(ids(all)).to.deep.equal(all.map((_, i) => BigInt(i + 1)));
    expect(ring.lastEventId).to.equal(BigInt(all.length));
  });

  const capacity = 8;
  const appended = 20; // retained: 13..20
  const table: { after: bigint | undefined; expect: bigint[] | "too-old" | "too-new" }[] = [
    { after: undefined, expect: [13n, 14n, 15n, 16n, 17n, 18n, 19n, 20n] },
    { after: 12n, expect: [13n, 14n, 15n, 16n, 17n, 18n, 19n, 20n] },
    { after: 17n, expect: [18n, 19n, 20n] },
    { after: 20n, expect: [] },
    { after: 11n, expect: "too-old" },
    { after: 0n, expect: "too-old" },
    { after: 21n, expect: "too-new" },
    { after: 1000n, expect: "too-new" },
  ];
  for (const row of table) {
    it(`after(${row.after}) with ids 1..${appended} in a ring of ${capacity} → ${Array.isArray(row.expect) ? `[${row.expect.join(",")}]` : row.expect}`, () => {
      const ring = byCount(capacity);
      for (let i = 1; i <= appended; i++) ring.append([stored(BigInt(i))]);
      const result = ring.after(row.after);
      if (typeof row.expect === "string") {
        expect(isOutOfRange(result)).to.equal(true);
        expect(result).to.deep.include({ outOfRange: true, reason: row.expect, oldestEventId: 13n, lastEventId: 20n });
      } else {
        expect(isOutOfRange(result)).to.equal(false);
        expect(ids(result as KvEvent[])).to.deep.equal(row.expect);
      }
    });
  }

  it("serves an empty ring: after(0) and after() are empty, after(1) is too new", () => {
    const ring = byCount(4);
    expect(ring.after(0n)).to.deep.equal([]);
    expect(ring.after()).to.deep.equal([]);
    expect(ring.after(1n)).to.deep.include({ reason: "too-new" });
  });

  it("retains exactly its capacity, keeping the events' contents", () => {
    const ring = byCount(3);
    ring.append([stored(1n), stored(2n), stored(3n), stored(4n), stored(5n)]);
    const kept = ring.after() as KvEvent[];
    expect(ids(kept)).to.deep.equal([3n, 4n, 5n]);
    expect(kept.map((e) => (e.data?.$case === "stored" ? e.data.stored.blocks[0].sequenceHash : -1n))).to.deep.equal([3n, 4n, 5n]);
    expect(ring.oldestEventId).to.equal(3n);
  });

  it("fans each append out to every listener as one batch, and stops after unlisten", () => {
    const ring = byCount(16);
    const a: bigint[][] = [];
    const b: bigint[][] = [];
    const stopA = ring.listen({ onEvents: (e) => a.push(ids(e)), onClose: () => {} });
    ring.listen({ onEvents: (e) => b.push(ids(e)), onClose: () => {} });
    ring.append([stored(1n), stored(2n)]);
    ring.append([]);
    stopA();
    ring.append([stored(3n)]);
    expect(a).to.deep.equal([[1n, 2n]]);
    expect(b).to.deep.equal([[1n, 2n], [3n]]);
  });

  it("closes every listener once and refuses later appends", () => {
    const ring = byCount(4);
    let closes = 0;
    ring.listen({ onEvents: () => {}, onClose: () => closes++ });
    ring.close();
    ring.close();
    ring.listen({ onEvents: () => {}, onClose: () => closes++ });
    expect(closes).to.equal(2);
    expect(() => ring.append([stored(1n)])).to.throw(/closed/);
  });

  for (const bound of [0, -1, 1.5, Number.NaN]) {
    it(`rejects a bound of ${bound} bytes`, () => {
      expect(() => new EventRing(bound)).to.throw(RangeError, /positive integer of bytes/);
    });
  }
});
