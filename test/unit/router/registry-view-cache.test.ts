// The registry's cached views (a route reads the model's views without rebuilding them): every
// change a view shows reaches the next read, and the time-dependent unreachable hold is never
// served stale.
import { expect } from "chai";
import { UNREACHABLE_HOLD_MS, WorkerRegistry } from "../../../services/router/src/workers/worker-registry.js";

const load = (blocksActive: number): { blocksActive: number; blocksCachedFree: number; blocksTotal: number; running: number; waiting: number; epoch: bigint; lastEventId: bigint } =>
  ({ blocksActive, blocksCachedFree: 0, blocksTotal: 100, running: 0, waiting: 0, epoch: 1n, lastEventId: 0n });
const ids = (views: readonly { workerId: string }[]): string[] => views.map((w) => w.workerId);

function registryWith(clock: { t: number }, ...workers: string[]): WorkerRegistry {
  const registry = new WorkerRegistry(() => clock.t);
  for (const workerId of workers) {
    registry.discovered({ workerId, model: "m", address: `${workerId}:1` });
    registry.cardReceived(workerId, 16);
  }
  return registry;
}

describe("router worker registry: cached views", () => {
  it("repeated reads of an unchanged model return the same views (nothing rebuilt per route)", () => {
    const registry = registryWith({ t: 0 }, "b", "a");
    const first = registry.routable("m");
    expect(ids(first)).to.deep.equal(["a", "b"]);
    expect(registry.routable("m")).to.equal(first);
    expect(registry.list("m")).to.equal(registry.list("m"));
    expect(registry.blockSize("m")).to.equal(16);
  });

  it("a load report shows in the next read, in both lists, and only for its worker", () => {
    const registry = registryWith({ t: 0 }, "a", "b");
    registry.setLoad("a", load(10));
    expect(registry.routable("m")[0].load?.blocksActive).to.equal(10);
    const before = registry.routable("m");
    registry.setLoad("a", load(70));
    const after = registry.routable("m");
    expect(after.map((w) => w.load?.blocksActive)).to.deep.equal([70, undefined]);
    expect(registry.list("m")[0].load?.blocksActive).to.equal(70);
    expect(registry.get("a")?.load?.blocksActive).to.equal(70);
    // The other worker's view is the same object: nothing else was rebuilt.
    expect(after[1]).to.equal(before[1]);
  });

  it("discovery, cards and removals reach the next read", () => {
    const registry = registryWith({ t: 0 }, "a");
    expect(ids(registry.routable("m"))).to.deep.equal(["a"]);
    registry.discovered({ workerId: "c", model: "m", address: "c:1" });
    expect(ids(registry.list("m"))).to.deep.equal(["a", "c"]);
    expect(ids(registry.routable("m"))).to.deep.equal(["a"]);
    registry.cardReceived("c", 16);
    expect(ids(registry.routable("m"))).to.deep.equal(["a", "c"]);
    registry.cardReceived("c", 32);
    expect(ids(registry.routable("m"))).to.deep.equal(["a"]);
    expect(registry.list("m")[1].exclusionReason).to.match(/^block size 32 differs/);
    registry.removed("a");
    expect(ids(registry.routable("m"))).to.deep.equal(["c"]);
    expect(registry.blockSize("m")).to.equal(32);
  });

  it("an unreachable mark is judged against the clock at every read, one ms either side of the hold", () => {
    const clock = { t: 5000 };
    const registry = registryWith(clock, "a", "b");
    expect(ids(registry.routable("m"))).to.deep.equal(["a", "b"]);
    registry.markUnreachable("a");
    expect(ids(registry.routable("m"))).to.deep.equal(["b"]);
    clock.t += UNREACHABLE_HOLD_MS - 1;
    expect(ids(registry.routable("m"))).to.deep.equal(["b"]);
    clock.t += 1;
    expect(ids(registry.routable("m"))).to.deep.equal(["a", "b"]);
    registry.markUnreachable("b");
    registry.markReachable("b");
    expect(ids(registry.routable("m"))).to.deep.equal(["a", "b"]);
  });

  it("a model nobody serves reads as empty; a later worker of it is seen", () => {
    const registry = registryWith({ t: 0 }, "a");
    expect(registry.list("typo")).to.deep.equal([]);
    expect(registry.routable("typo")).to.deep.equal([]);
    expect(registry.blockSize("typo")).to.equal(undefined);
    registry.discovered({ workerId: "t", model: "typo", address: "t:1" });
    registry.cardReceived("t", 8);
    expect(ids(registry.routable("typo"))).to.deep.equal(["t"]);
    expect(ids(registry.list())).to.deep.equal(["a", "t"]);
  });
});
