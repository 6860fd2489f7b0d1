// The event ring is bounded in memory, not in events: the soak's mocker worker grew for
// minutes while a 65,536-event ring filled. Boundaries of the byte bound, eviction of
// differently sized events, and the size estimate against the real heap.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect } from "chai";
import { EventRing, isOutOfRange } from "../../../services/worker/src/events/event-ring.js";
import type { KvEventData } from "../../../services/worker/src/engine/kv-events.js";
import { EVENT_BASE_BYTES, REMOVED_HASH_BYTES, STORED_BLOCK_BYTES, eventBytes } from "../../../services/worker/src/events/event-bytes.js";
import { WORKER_SPEC } from "../../../services/worker/src/config.js";
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";

/** A stored event of `n` blocks with hashes above 2^32 (heap bigints, as real hashes are). */
function stored(n: number, seed = 1): KvEventData {
  const h = (i: number): bigint => (BigInt(seed) << 40n) + BigInt(i) * 0x1_0000_0001n;
  return { $case: "stored", stored: { parentSequenceHash: h(999), blocks: Array.from({ length: n }, (_, i) => ({ sequenceHash: h(i), localHash: h(i + 500) })) } };
}

const ONE = EVENT_BASE_BYTES + STORED_BLOCK_BYTES; // a one-block stored event
const ids = (events: readonly KvEvent[]): bigint[] => events.map((e) => e.eventId);

describe("EventRing bounded in bytes", () => {
  it("sizes events by their payload: stored blocks, removed hashes, cleared", () => {
    expect(eventBytes({ eventId: 1n, data: stored(1) })).to.equal(ONE);
    expect(eventBytes({ eventId: 1n, data: stored(16) })).to.equal(EVENT_BASE_BYTES + 16 * STORED_BLOCK_BYTES);
    expect(eventBytes({ eventId: 1n, data: { $case: "removed", removed: { sequenceHashes: [1n, 2n, 3n] } } })).to.equal(EVENT_BASE_BYTES + 3 * REMOVED_HASH_BYTES);
    expect(eventBytes({ eventId: 1n, data: { $case: "cleared", cleared: {} } })).to.equal(EVENT_BASE_BYTES);
  });

  it("retains events filling the bound exactly, and drops the oldest one byte past it", () => {
    const exact = new EventRing(3 * ONE);
    exact.append([stored(1), stored(1), stored(1)]);
    expect(exact.retainedEvents).to.equal(3);
    expect(exact.retainedBytes).to.equal(3 * ONE);
    const short = new EventRing(3 * ONE - 1);
    short.append([stored(1), stored(1), stored(1)]);
    expect(short.retainedEvents).to.equal(2);
    expect(short.oldestEventId).to.equal(2n);
    expect(short.after(0n)).to.deep.include({ outOfRange: true, reason: "too-old" });
    expect(ids(short.after(1n) as KvEvent[])).to.deep.equal([2n, 3n]);
  });

  it("one large event drops as many small ones as its size needs", () => {
    const ring = new EventRing(10 * ONE);
    ring.append(Array.from({ length: 10 }, () => stored(1))); // ids 1..10, full
    const big = eventBytes({ eventId: 0n, data: stored(5) }); // 2⅓ small ones' worth: 3 must go
    ring.append([stored(5)]); // id 11
    const kept = ring.after() as KvEvent[];
    expect(ids(kept)).to.deep.equal([4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n]);
    expect(ring.retainedBytes).to.equal(7 * ONE + big);
    expect(ring.retainedBytes).to.be.at.most(10 * ONE);
    expect(ring.retainedBytes + ONE).to.be.above(10 * ONE); // nothing more was dropped than needed
  });

  it("an event larger than the whole bound reaches listeners but is not retained", () => {
    const ring = new EventRing(ONE);
    const seen: bigint[] = [];
    ring.listen({ onEvents: (e) => seen.push(...ids(e)), onClose: () => {} });
    ring.append([stored(1)]);
    ring.append([stored(2)]);
    expect(seen).to.deep.equal([1n, 2n]);
    expect(ring.retainedEvents).to.equal(0);
    expect(ring.retainedBytes).to.equal(0);
    expect(ring.oldestEventId).to.equal(3n);
    expect(ring.after(2n)).to.deep.equal([]);
    expect(ring.after(1n)).to.deep.include({ reason: "too-old" });
    ring.append([stored(1)]);
    expect(ids(ring.after(2n) as KvEvent[])).to.deep.equal([3n]);
  });

  it("keeps ids and contents right across many drops (the retained window is compacted)", () => {
    const ring = new EventRing(7 * ONE);
    for (let i = 1; i <= 5000; i++) ring.append([stored(1, i)]);
    const kept = ring.after(4995n) as KvEvent[];
    expect(ids(kept)).to.deep.equal([4996n, 4997n, 4998n, 4999n, 5000n]);
    expect(kept.map((e) => (e.data?.$case === "stored" ? e.data.stored.blocks[0].sequenceHash >> 40n : -1n))).to.deep.equal([4996n, 4997n, 4998n, 4999n, 5000n]);
    expect(ring.oldestEventId).to.equal(4994n);
    expect(isOutOfRange(ring.after(4992n))).to.equal(true);
  });

  it("defaults to 1 MiB per worker (--event-ring-bytes, env KVMESH_EVENT_RING_BYTES)", () => {
    const flag = WORKER_SPEC.find((f) => f.name === "event-ring-bytes");
    expect(flag).to.deep.include({ type: "int", min: 1, default: 1048576 });
  });

  it("its size estimate matches the heap the retained events take (within 0.75–1.25×)", function () {
    this.timeout(20_000);
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const ring = new EventRing(16 * 2 ** 20);
    gc();
    const before = process.memoryUsage().heapUsed;
    // Engine-like traffic: prefills of 1–8 blocks and removals of 1–4 hashes.
    for (let i = 0; i < 40_000; i++) {
      ring.append([i % 3 === 2 ? { $case: "removed", removed: { sequenceHashes: Array.from({ length: 1 + (i % 4) }, (_, j) => (BigInt(i) << 36n) + BigInt(j)) } } : stored(1 + (i % 8), i)]);
    }
    gc();
    const heap = process.memoryUsage().heapUsed - before;
    expect(ring.retainedEvents).to.be.below(40_000); // the bound was reached
    expect(heap / ring.retainedBytes).to.be.within(0.75, 1.25);
  });
});
