// The frontend's served models over common's worker directory (a fake one here): models grouped
// from the workers' discovery meta, `created` fixed when first seen, gone with the last worker;
// the router count from discovery; nothing followed after close.
import { expect } from "chai";
import type { Discovery, ServiceInstance, WatchCallback } from "#common/discovery/index.js";
import type { WorkersListener } from "#common/directory/worker-directory.js";
import { ServedModels } from "../../../services/frontend/src/models.js";

const worker = (id: string, model: string, contextLength?: number): ServiceInstance => ({
  service: "worker", namespace: "t", instanceId: id, address: "127.0.0.1", port: 1,
  meta: contextLength === undefined ? { model } : { model, context_length: String(contextLength) },
});

function setup(initial: ServiceInstance[] = []) {
  const listeners = new Set<WorkersListener>();
  const directory = {
    workers: initial as readonly ServiceInstance[],
    onChange: (l: WorkersListener) => (listeners.add(l), () => listeners.delete(l)),
  };
  let routerWatch: WatchCallback | undefined;
  const discovery: Pick<Discovery, "watch"> = {
    watch: (service, onChange) => {
      expect(service).to.equal("router");
      routerWatch = onChange;
      return { close: () => (routerWatch = undefined) };
    },
  };
  const clock = { ms: 1_700_000_000_500 };
  const models = new ServedModels(directory, discovery, () => clock.ms);
  const setWorkers = (ws: ServiceInstance[]): void => {
    directory.workers = ws;
    for (const l of [...listeners]) l(ws);
  };
  return { models, setWorkers, clock, listeners, routers: (n: number) => routerWatch?.(Array.from({ length: n }, (_, i) => ({ ...worker(`r${i}`, ""), service: "router" }))), routerWatched: () => routerWatch !== undefined };
}

describe("frontend served models", () => {
  it("lists the directory's current workers at once, grouped by model and sorted by id", () => {
    const { models } = setup([worker("w2", "b", 512), worker("w1", "a", 256), worker("w3", "b", 1024)]);
    expect(models.list()).to.deep.equal([
      { id: "a", instances: 1, contextLength: 256, created: 1_700_000_000 },
      { id: "b", instances: 2, contextLength: 1024, created: 1_700_000_000 },
    ]);
  });

  it("keeps created from the first sighting, drops a model with its last worker, reads a missing context_length as 0", () => {
    const { models, setWorkers, clock } = setup();
    expect(models.list()).to.deep.equal([]);
    setWorkers([worker("w1", "a")]);
    expect(models.get("a")).to.deep.equal({ id: "a", instances: 1, contextLength: 0, created: 1_700_000_000 });
    clock.ms += 5_000;
    setWorkers([worker("w1", "a", 128), worker("w2", "c", 64)]);
    expect(models.get("a")).to.include({ instances: 1, contextLength: 128, created: 1_700_000_000 });
    expect(models.get("c")).to.include({ created: 1_700_000_005 });
    setWorkers([worker("w2", "c", 64)]);
    expect(models.get("a")).to.equal(undefined);
    expect(models.list().map((m) => m.id)).to.deep.equal(["c"]);
  });

  it("counts live routers, and follows nothing after close", () => {
    const { models, setWorkers, routers, listeners, routerWatched } = setup();
    expect(models.routerCount).to.equal(0);
    routers(3);
    expect(models.routerCount).to.equal(3);
    setWorkers([worker("w1", "a")]);
    models.close();
    expect(listeners.size).to.equal(0);
    expect(routerWatched()).to.equal(false);
    setWorkers([worker("w2", "b")]);
    expect(models.list().map((m) => m.id)).to.deep.equal(["a"]);
  });
});
