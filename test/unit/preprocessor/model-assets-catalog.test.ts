// The preprocessor's model assets over common's worker directory, with a fake discovery and card
// fetcher: unknown models, caching per worker set, the card taken again when the set changes
// (assets kept when the card is the same; each worker's card fetched once), failed fetches.
import { expect } from "chai";
import { FailedPreconditionError, ModelNotFoundError, NoWorkerError } from "#common/errors.js";
import type { Discovery, ServiceInstance, WatchCallback } from "#common/discovery/index.js";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import type { ModelAssets } from "../../../services/preprocessor/src/model-assets.js";
import { WorkerDirectory } from "#common/directory/worker-directory.js";
import { ModelAssetsCatalog } from "../../../services/preprocessor/src/upstream/model-assets-catalog.js";

const worker = (instanceId: string, model: string): ServiceInstance => ({ service: "worker", namespace: "kvmesh", instanceId, address: "127.0.0.1", port: 1, meta: { model } });
const card = (name: string, contextLength = 512): ModelCard => ({
  name, contextLength, blockSize: 16, totalKvBlocks: 1, eosTokenIds: [2], tokenizerJson: "{}", tokenizerConfigJson: "", generationConfigJson: "", engine: "mocker",
});

/** A discovery whose worker set the test sets, and a fetcher serving cards per instance. */
function setup(cards: Record<string, ModelCard | Error>) {
  let listeners: WatchCallback[] = [];
  let live: ServiceInstance[] = [];
  const discovery: Pick<Discovery, "list" | "watch"> = {
    list: async () => live,
    watch: (_service, onChange) => {
      listeners.push(onChange);
      onChange(live);
      return { close: () => (listeners = listeners.filter((l) => l !== onChange)) };
    },
  };
  const fetched: string[] = [];
  let built = 0;
  const directory = new WorkerDirectory({
    discovery,
    fetchCard: async (w) => {
      fetched.push(w.instanceId);
      const c = cards[w.instanceId];
      if (c instanceof Error) throw c;
      return c;
    },
  });
  const catalog = new ModelAssetsCatalog({
    directory,
    build: (c) => {
      built++;
      if (c.tokenizerJson === "") throw new FailedPreconditionError(`model "${c.name}" has no tokenizer.json`);
      return { name: c.name, contextLength: c.contextLength } as ModelAssets;
    },
    log: { info: () => undefined, warn: () => undefined },
  });
  directory.start();
  const setWorkers = (ws: ServiceInstance[]): void => {
    live = ws;
    listeners.forEach((l) => l(ws));
  };
  return { catalog, setWorkers, fetched, builtCount: () => built };
}

describe("preprocessor model assets catalog", () => {
  it("an unknown model is ModelNotFoundError (NOT_FOUND), naming the model", async () => {
    const { catalog, setWorkers } = setup({ w1: card("a") });
    setWorkers([worker("w1", "a")]);
    const err = await catalog.get("b").catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ModelNotFoundError);
    expect((err as Error).message).to.include('"b"');
  });

  it("fetches a model's card once while its worker set stays the same", async () => {
    const { catalog, setWorkers, fetched } = setup({ w1: card("a"), w2: card("b") });
    setWorkers([worker("w1", "a"), worker("w2", "b")]);
    const [first, second] = await Promise.all([catalog.get("a"), catalog.get("a")]);
    expect(await catalog.get("a")).to.equal(first);
    expect(second).to.equal(first);
    expect((await catalog.get("b")).name).to.equal("b");
    expect(fetched).to.deep.equal(["w1", "w2"]);
  });

  it("takes the card again when the worker set changes (each worker's fetched once); rebuilds only when the card differs", async () => {
    const cards: Record<string, ModelCard | Error> = { w1: card("a"), w2: card("a"), w3: card("a", 1024) };
    const { catalog, setWorkers, fetched, builtCount } = setup(cards);
    setWorkers([worker("w1", "a")]);
    const first = await catalog.get("a");
    setWorkers([worker("w1", "a"), worker("w2", "a")]);
    expect(await catalog.get("a")).to.equal(first); // same card: same assets
    setWorkers([worker("w3", "a")]);
    expect((await catalog.get("a")).contextLength).to.equal(1024);
    expect(fetched).to.deep.equal(["w1", "w3"]); // w1's card is the directory's, fetched once
    expect(builtCount()).to.equal(2);
  });

  it("tries the next worker when a fetch fails, and does not cache a failure", async () => {
    const cards: Record<string, ModelCard | Error> = { w1: new Error("down"), w2: card("a") };
    const { catalog, setWorkers, fetched } = setup(cards);
    setWorkers([worker("w1", "a"), worker("w2", "a")]);
    expect((await catalog.get("a")).name).to.equal("a");
    expect(fetched).to.deep.equal(["w1", "w2"]);

    const single = setup({ w1: new Error("down") });
    single.setWorkers([worker("w1", "a")]);
    expect(await single.catalog.get("a").catch((e: unknown) => e)).to.be.instanceOf(NoWorkerError);
    expect(await single.catalog.get("a").catch((e: unknown) => e)).to.be.instanceOf(NoWorkerError);
    expect(single.fetched).to.deep.equal(["w1", "w1"]);
  });

  it("an unusable card keeps its typed error", async () => {
    const { catalog, setWorkers } = setup({ w1: { ...card("a"), tokenizerJson: "" } });
    setWorkers([worker("w1", "a")]);
    expect(await catalog.get("a").catch((e: unknown) => e)).to.be.instanceOf(FailedPreconditionError);
  });
  it("discovery that never answers: UNAVAILABLE (NoWorkerError) after discoveryWaitMs, not the request's deadline", async () => {
    const silent = new WorkerDirectory({ discovery: { watch: () => ({ close: () => undefined }) }, fetchCard: async () => card("a") });
    silent.start();
    const catalog = new ModelAssetsCatalog({ directory: silent, build: () => ({}) as ModelAssets, log: { info: () => undefined, warn: () => undefined }, discoveryWaitMs: 50 });
    const started = Date.now();
    const err = await catalog.get("a").catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NoWorkerError);
    expect((err as Error).message).to.include("discovery has not listed the workers yet (waited 50 ms)");
    expect(Date.now() - started).to.be.at.least(45);
  });

  it("a first list that arrives within discoveryWaitMs is waited for (boundary: the wait resolves, nothing rejects later)", async () => {
    let deliver: WatchCallback | undefined;
    const late = new WorkerDirectory({
      discovery: { watch: (_s, onChange) => ((deliver = onChange), { close: () => undefined }) },
      fetchCard: async () => card("a"),
    });
    late.start();
    const catalog = new ModelAssetsCatalog({ directory: late, build: (c) => ({ name: c.name }) as ModelAssets, log: { info: () => undefined, warn: () => undefined }, discoveryWaitMs: 2000 });
    const pending = catalog.get("a");
    setTimeout(() => deliver!([worker("w1", "a")]), 20);
    expect((await pending).name).to.equal("a");
    // Once ready, a zero wait still answers (the snapshot is there).
    const ready = new ModelAssetsCatalog({ directory: late, build: (c) => ({ name: c.name }) as ModelAssets, log: { info: () => undefined, warn: () => undefined }, discoveryWaitMs: 0 });
    expect((await ready.get("a")).name).to.equal("a");
  });
});
