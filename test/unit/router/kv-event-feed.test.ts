import { expect } from "chai";
import { KvEventFeed } from "../../../services/router/src/events/kv-event-feed.js";
import type { ModelBatch, ResyncCause } from "../../../services/router/src/events/kv-event-feed.js";
import type { KvDumpData, KvEventData } from "../../../services/router/src/indexer/types.js";

const MODEL = "m";
/** A stored event of one root block whose hashes are both `h`. */
const stored = (eventId: bigint, h: bigint, parent?: bigint): KvEventData => ({
  eventId, data: { $case: "stored", stored: { parentSequenceHash: parent, blocks: [{ sequenceHash: h, localHash: h }] } },
});
const removed = (eventId: bigint, h: bigint): KvEventData => ({ eventId, data: { $case: "removed", removed: { sequenceHashes: [h] } } });
const batch = (workerId: string, epoch: bigint, ...events: KvEventData[]): ModelBatch => ({ workerId, epoch, model: MODEL, events });
const dump = (epoch: bigint, lastEventId: bigint, ...hashes: bigint[]): KvDumpData => ({ epoch, lastEventId, events: hashes.map((h) => stored(0n, h)) });

/** A feed with its dump requests and observations recorded. */
function harness() {
  const dumps: { workerId: string; cause: ResyncCause }[] = [];
  const rejected: string[] = [];
  const feed = new KvEventFeed((workerId, cause) => dumps.push({ workerId, cause }), {
    applied: () => {},
    rejected: (_w, n, reason) => rejected.push(`${reason}:${n}`),
    resync: () => {},
  });
  const blocks = (workerId: string): bigint[] => feed.indexer(MODEL).dump().find((d) => d.workerId === workerId)?.sequenceHashes ?? [];
  return { feed, dumps, rejected, blocks };
}

describe("router KV event feed: application and resync rules", () => {
  it("resyncs on first sight and replays what arrived during the dump on top of it", () => {
    const { feed, dumps, blocks } = harness();
    feed.track("w1", MODEL);
    expect(dumps).to.deep.equal([{ workerId: "w1", cause: "first-sight" }]);
    // Event 3 was already in the dump; 4 happened after it was taken.
    feed.applyBatch(batch("w1", 1n, stored(3n, 30n)));
    feed.applyBatch(batch("w1", 1n, stored(4n, 40n)));
    expect(blocks("w1"), "nothing applied before the dump").to.deep.equal([]);
    feed.applyDump("w1", dump(1n, 3n, 10n, 30n));
    expect(blocks("w1")).to.deep.equal([10n, 30n, 40n]);
    expect(dumps).to.have.length(1);
  });

  const resyncCases: { name: string; cause: ResyncCause; act: (feed: KvEventFeed) => void }[] = [
    { name: "an event-id gap", cause: "gap", act: (f) => f.applyBatch(batch("w1", 1n, stored(7n, 70n))) },
    { name: "an unknown parent", cause: "unknown-parent", act: (f) => f.applyBatch(batch("w1", 1n, stored(6n, 60n, 999n))) },
    { name: "a load report naming a later event", cause: "gap", act: (f) => f.observeLoad("w1", 1n, 9n) },
    { name: "a transport reconnect", cause: "reconnect", act: (f) => f.resyncAll() },
    { name: "a batch of a newer epoch", cause: "new-epoch", act: (f) => f.applyBatch(batch("w1", 2n, stored(1n, 11n))) },
    { name: "a load report of a newer epoch", cause: "new-epoch", act: (f) => f.observeLoad("w1", 2n, 0n) },
  ];
  for (const c of resyncCases) {
    it(`resyncs on ${c.name}`, () => {
      const { feed, dumps } = harness();
      feed.track("w1", MODEL);
      feed.applyDump("w1", dump(1n, 5n, 10n));
      c.act(feed);
      expect(dumps.map((d) => d.cause)).to.deep.equal(["first-sight", c.cause]);
    });
  }

  it("does not resync on in-order events, replays, or a load report that is up to date", () => {
    const { feed, dumps, blocks, rejected } = harness();
    feed.track("w1", MODEL);
    feed.applyDump("w1", dump(1n, 5n, 10n));
    feed.applyBatch(batch("w1", 1n, stored(5n, 50n), stored(6n, 60n, 10n), removed(7n, 10n)));
    feed.observeLoad("w1", 1n, 7n);
    feed.observeLoad("w1", 0n, 99n); // an old epoch says nothing about this one
    expect(dumps).to.have.length(1);
    expect(rejected).to.deep.equal(["replayed:1"]);
    // 60 hangs below 10, which was removed: the worker still holds 60.
    expect(blocks("w1")).to.deep.equal([60n]);
  });

  it("a reconnect of one model's subscription resyncs only that model's workers", () => {
    const { feed, dumps } = harness();
    feed.track("w1", MODEL);
    feed.track("x1", "other");
    feed.applyDump("w1", dump(1n, 0n));
    feed.applyDump("x1", dump(1n, 0n));
    feed.resyncAll("other");
    expect(dumps.map((d) => `${d.workerId}:${d.cause}`)).to.deep.equal(["w1:first-sight", "x1:first-sight", "x1:reconnect"]);
  });

  it("keeps one dump in flight, rejects workers it does not track, and forgets a worker that left", () => {
    const { feed, dumps, blocks, rejected } = harness();
    feed.track("w1", MODEL);
    feed.applyBatch(batch("w1", 1n, stored(9n, 90n)));
    feed.observeLoad("w1", 1n, 20n);
    expect(dumps, "a gap while resyncing waits for the dump").to.have.length(1);
    feed.applyBatch(batch("stranger", 1n, stored(1n, 1n)));
    expect(rejected).to.deep.equal(["unknown-worker:1"]);
    feed.applyDump("w1", dump(1n, 8n, 10n));
    expect(blocks("w1")).to.deep.equal([10n, 90n]);
    feed.untrack("w1");
    expect(blocks("w1")).to.deep.equal([]);
    expect(feed.isTracked("w1")).to.equal(false);
  });

  it("a gap found while replaying held batches asks for another dump and holds the rest", () => {
    const { feed, dumps, blocks } = harness();
    feed.track("w1", MODEL);
    feed.applyBatch(batch("w1", 1n, stored(6n, 60n)));
    feed.applyBatch(batch("w1", 1n, stored(7n, 70n)));
    feed.applyDump("w1", dump(1n, 4n, 10n));
    expect(dumps.map((d) => d.cause)).to.deep.equal(["first-sight", "gap"]);
    feed.applyDump("w1", dump(1n, 6n, 10n, 60n));
    expect(blocks("w1")).to.deep.equal([10n, 60n, 70n]);
  });
});
