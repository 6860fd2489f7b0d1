// The registry's routability: block-size exclusions, and workers whose calls failed as unreachable.
import { expect } from "chai";
import { UNREACHABLE_HOLD_MS, WorkerRegistry } from "../../../services/router/src/workers/worker-registry.js";

const LOAD = { blocksActive: 0, blocksCachedFree: 0, blocksTotal: 100, running: 0, waiting: 0, epoch: 1n, lastEventId: 0n };

function registryAt(clock: { t: number }, workers: readonly (readonly [string, number])[]): WorkerRegistry {
  const registry = new WorkerRegistry(() => clock.t);
  for (const [workerId, blockSize] of workers) {
    registry.discovered({ workerId, model: "m", address: `${workerId}:1` });
    registry.cardReceived(workerId, blockSize);
  }
  return registry;
}
const ids = (views: readonly { workerId: string }[]): string[] => views.map((w) => w.workerId);

describe("router worker registry", () => {
  it("an unreachable worker leaves routing with its reason, until the hold passes", () => {
    const clock = { t: 1000 };
    const registry = registryAt(clock, [["w1", 4], ["w2", 4]]);
    registry.markUnreachable("w1");
    clock.t += 250;
    expect(ids(registry.routable("m"))).to.deep.equal(["w2"]);
    const w1 = registry.get("w1")!;
    expect(w1).to.include({ routable: false, unreachable: true });
    expect(w1.exclusionReason).to.match(/^unreachable: a call failed 250 ms ago/);
    clock.t += UNREACHABLE_HOLD_MS;
    expect(ids(registry.routable("m"))).to.deep.equal(["w1", "w2"]);
    expect(registry.get("w1")).to.include({ routable: true, unreachable: false, exclusionReason: "" });
  });

  it("a load report or an answer is a sign of life: routable again at once", () => {
    const clock = { t: 0 };
    const registry = registryAt(clock, [["w1", 4], ["w2", 4]]);
    registry.markUnreachable("w1");
    registry.markUnreachable("w2");
    registry.setLoad("w1", LOAD);
    registry.markReachable("w2");
    expect(ids(registry.routable("m"))).to.deep.equal(["w1", "w2"]);
  });

  it("when every worker is marked, the marked ones are still offered (a mark is a hint); a mismatch never is", () => {
    const clock = { t: 0 };
    const registry = registryAt(clock, [["w1", 4], ["w2", 4], ["w3", 8]]);
    registry.markUnreachable("w1");
    registry.markUnreachable("w2");
    expect(ids(registry.routable("m"))).to.deep.equal(["w1", "w2"]);
    registry.markUnreachable("w3");
    expect(ids(registry.routable("m"))).to.deep.equal(["w1", "w2"]);
    expect(registry.get("w3")!.exclusionReason, "the mismatch stays the reason").to.match(/^block size 8 differs/);
  });

  it("an unreachable mark is not reported as a block-size mismatch", () => {
    const clock = { t: 0 };
    const registry = registryAt(clock, [["w1", 4]]);
    registry.discovered({ workerId: "w2", model: "m", address: "w2:1" });
    registry.markUnreachable("w1");
    expect(registry.cardReceived("w2", 4), "nobody newly mismatched").to.deep.equal([]);
    expect(ids(registry.removed("w2"))).to.deep.equal([]);
  });
});
