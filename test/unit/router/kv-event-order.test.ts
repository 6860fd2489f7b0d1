// The order rules of a worker's KV event stream, implemented once (services/router/src/events/
// event-order.ts) and acted on by the KvEventFeed alone: the verdict tables, then the same
// rules as the feed applies them to its index (these rows were the KvIndexer's before the
// feed became the one owner of order and resync).
import { expect } from "chai";
import { judgeBatch, judgeLoad } from "../../../services/router/src/events/event-order.js";
import type { BatchVerdict, LoadVerdict } from "../../../services/router/src/events/event-order.js";
import { KvEventFeed } from "../../../services/router/src/events/kv-event-feed.js";
import type { ModelBatch, ResyncCause } from "../../../services/router/src/events/kv-event-feed.js";
import type { KvDumpData, KvEventData, StreamPosition } from "../../../services/router/src/indexer/types.js";

/** A stored event of one block whose hashes are both `h`, below `parent` when given. */
const stored = (eventId: bigint, h: bigint, parent?: bigint): KvEventData => ({
  eventId, data: { $case: "stored", stored: { parentSequenceHash: parent, blocks: [{ sequenceHash: h, localHash: h }] } },
});
const removed = (eventId: bigint, h: bigint): KvEventData => ({ eventId, data: { $case: "removed", removed: { sequenceHashes: [h] } } });
const ids = (...list: number[]): KvEventData[] => list.map((id) => stored(BigInt(id), BigInt(100 + id)));
const verdictIds = (v: BatchVerdict) => (v.kind === "in-epoch" ? { ...v, next: v.next.map((e) => e.eventId) } : v);

describe("KV event order rules: verdicts", () => {
  const at: StreamPosition = { epoch: 5n, lastEventId: 5n };
  const batchRows: { name: string; position: StreamPosition | undefined; epoch: bigint; events: KvEventData[]; expected: object }[] = [
    { name: "never positioned: only a dump can settle it", position: undefined, epoch: 5n, events: ids(1), expected: { kind: "new-epoch" } },
    { name: "a newer epoch (one past)", position: at, epoch: 6n, events: ids(1), expected: { kind: "new-epoch" } },
    { name: "an older epoch (one below)", position: at, epoch: 4n, events: ids(6), expected: { kind: "stale-epoch" } },
    { name: "the next ids", position: at, epoch: 5n, events: ids(6, 7), expected: { kind: "in-epoch", replayed: 0, next: [6n, 7n], gap: false } },
    { name: "an empty batch", position: at, epoch: 5n, events: [], expected: { kind: "in-epoch", replayed: 0, next: [], gap: false } },
    { name: "the last applied id is a replay, the one after is applied", position: at, epoch: 5n, events: ids(5, 6), expected: { kind: "in-epoch", replayed: 1, next: [6n], gap: false } },
    { name: "only replays", position: at, epoch: 5n, events: ids(4, 5), expected: { kind: "in-epoch", replayed: 2, next: [], gap: false } },
    { name: "an id repeated within the batch is a replay", position: at, epoch: 5n, events: ids(6, 6, 7), expected: { kind: "in-epoch", replayed: 1, next: [6n, 7n], gap: false } },
    { name: "one past the next id is a gap", position: at, epoch: 5n, events: ids(7), expected: { kind: "in-epoch", replayed: 0, next: [], gap: true } },
    { name: "a gap mid-batch keeps what came before it", position: at, epoch: 5n, events: ids(6, 8, 9), expected: { kind: "in-epoch", replayed: 0, next: [6n], gap: true } },
  ];
  for (const row of batchRows) {
    it(`batch: ${row.name}`, () => {
      expect(verdictIds(judgeBatch(row.position, row.epoch, row.events))).to.deep.equal(row.expected);
    });
  }

  const loadRows: { name: string; position: StreamPosition | undefined; epoch: bigint; lastEventId: bigint; expected: LoadVerdict }[] = [
    { name: "caught up", position: at, epoch: 5n, lastEventId: 5n, expected: "in-order" },
    { name: "behind what was applied (a late report)", position: at, epoch: 5n, lastEventId: 4n, expected: "in-order" },
    { name: "events lost with none following (one past)", position: at, epoch: 5n, lastEventId: 6n, expected: "gap" },
    { name: "an older epoch is ignored", position: at, epoch: 4n, lastEventId: 9n, expected: "stale-epoch" },
    { name: "a newer epoch with no events", position: at, epoch: 6n, lastEventId: 0n, expected: "new-epoch" },
    { name: "a newer epoch with events", position: at, epoch: 6n, lastEventId: 2n, expected: "new-epoch" },
    { name: "never positioned", position: undefined, epoch: 1n, lastEventId: 0n, expected: "new-epoch" },
  ];
  for (const row of loadRows) {
    it(`load: ${row.name}`, () => {
      expect(judgeLoad(row.position, row.epoch, row.lastEventId)).to.equal(row.expected);
    });
  }
});

/** A feed tracking "w1" of model "m", resynced to `first`; records dump causes and rejections. */
function fedFrom(first: KvDumpData) {
  const causes: ResyncCause[] = [];
  const rejected: string[] = [];
  const feed = new KvEventFeed((_w, cause) => causes.push(cause), {
    applied: () => {},
    rejected: (_w, n, reason) => rejected.push(`${reason}:${n}`),
    resync: () => {},
  });
  feed.track("w1", "m");
  feed.applyDump("w1", first);
  const apply = (epoch: bigint, ...events: KvEventData[]): void => feed.applyBatch({ workerId: "w1", epoch, model: "m", events } satisfies ModelBatch);
  const state = () => {
    const d = feed.indexer("m").dump().find((w) => w.workerId === "w1");
    return { blocks: d?.sequenceHashes ?? [], epoch: d?.epoch, lastEventId: d?.lastEventId };
  };
  return { feed, causes, rejected, apply, state };
}
const empty = (epoch: bigint, lastEventId = 0n): KvDumpData => ({ epoch, lastEventId, events: [] });

describe("KV event order rules: as the feed applies them", () => {
  it("an event-id gap asks for a resync and applies nothing", () => {
    const f = fedFrom(empty(1n));
    f.apply(1n, stored(2n, 20n));
    expect(f.causes).to.deep.equal(["first-sight", "gap"]);
    expect(f.state()).to.deep.equal({ blocks: [], epoch: 1n, lastEventId: 0n });
  });

  it("a gap mid-batch keeps what came before it", () => {
    const f = fedFrom(empty(1n));
    f.apply(1n, stored(1n, 10n), stored(3n, 30n));
    expect(f.causes).to.deep.equal(["first-sight", "gap"]);
    expect(f.state()).to.deep.equal({ blocks: [10n], epoch: 1n, lastEventId: 1n });
  });

  it("an unknown parent mid-batch keeps what came before it and asks for a resync", () => {
    const f = fedFrom(empty(1n));
    f.apply(1n, stored(1n, 10n), stored(2n, 20n, 999n), stored(3n, 30n));
    expect(f.causes).to.deep.equal(["first-sight", "unknown-parent"]);
    expect(f.state()).to.deep.equal({ blocks: [10n], epoch: 1n, lastEventId: 1n });
  });

  it("already applied ids are skipped as replays", () => {
    const f = fedFrom(empty(1n));
    f.apply(1n, stored(1n, 10n));
    f.apply(1n, stored(1n, 10n), stored(2n, 20n, 10n));
    expect(f.rejected).to.deep.equal(["replayed:1"]);
    expect(f.causes).to.deep.equal(["first-sight"]);
    expect(f.state()).to.deep.equal({ blocks: [10n, 20n], epoch: 1n, lastEventId: 2n });
  });

  it("a duplicate store is a no-op that still advances the position", () => {
    const f = fedFrom(empty(1n));
    f.apply(1n, stored(1n, 10n), stored(2n, 10n));
    expect(f.causes).to.deep.equal(["first-sight"]);
    expect(f.state()).to.deep.equal({ blocks: [10n], epoch: 1n, lastEventId: 2n });
  });

  it("a newer epoch resyncs, and its dump drops the old epoch's blocks", () => {
    const f = fedFrom(empty(1n));
    f.apply(1n, stored(1n, 10n), stored(2n, 20n, 10n));
    f.apply(2n, stored(1n, 11n));
    expect(f.causes).to.deep.equal(["first-sight", "new-epoch"]);
    f.feed.applyDump("w1", empty(2n));
    expect(f.state()).to.deep.equal({ blocks: [11n], epoch: 2n, lastEventId: 1n });
  });

  it("an older epoch is rejected", () => {
    const f = fedFrom(empty(2n));
    f.apply(2n, stored(1n, 10n));
    f.apply(1n, stored(2n, 20n, 10n));
    expect(f.rejected).to.deep.equal(["stale-epoch:1"]);
    expect(f.state()).to.deep.equal({ blocks: [10n], epoch: 2n, lastEventId: 1n });
  });

  it("after a dump the stream continues after its last id", () => {
    const f = fedFrom({ epoch: 2n, lastEventId: 7n, events: [stored(0n, 10n), stored(0n, 20n, 10n)] });
    f.apply(2n, stored(7n, 20n, 10n), removed(8n, 20n));
    expect(f.rejected).to.deep.equal(["replayed:1"]);
    expect(f.state()).to.deep.equal({ blocks: [10n], epoch: 2n, lastEventId: 8n });
  });

  it("load reports: caught up or older epoch say nothing; lost events and a newer epoch resync", () => {
    const rows: { epoch: bigint; lastEventId: bigint; cause?: ResyncCause }[] = [
      { epoch: 5n, lastEventId: 1n },
      { epoch: 4n, lastEventId: 9n },
      { epoch: 5n, lastEventId: 2n, cause: "gap" },
      { epoch: 6n, lastEventId: 0n, cause: "new-epoch" },
    ];
    for (const row of rows) {
      const f = fedFrom(empty(5n));
      f.apply(5n, stored(1n, 10n));
      f.feed.observeLoad("w1", row.epoch, row.lastEventId);
      expect(f.causes, `load ${row.epoch}/${row.lastEventId}`).to.deep.equal(row.cause === undefined ? ["first-sight"] : ["first-sight", row.cause]);
      expect(f.state().blocks).to.deep.equal([10n]);
    }
  });
});
