// One conformance suite, run against every discovery backend.
// The consul backend runs against test/support/consul-standin.ts: no Consul server can be
// installed from the registries these machines reach, so this is a loopback stand-in of the
// endpoints the backend calls (it enforces TTLs, blocking queries and Consul's validation).
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsulDiscovery, FileDiscovery } from "#common/discovery/index.js";
import type { Discovery, ServiceInstance } from "#common/discovery/index.js";
import { ConsulStandin } from "../support/consul-standin.js";
import { seededRandom } from "#common/seeded-random.js";

const TTL_MS = 1000;

/** How a backend is brought up for one test file and instantiated per namespace. */
interface BackendFactory {
  name: string;
  setup(): Promise<void>;
  make(namespace: string): Discovery;
  teardown(): Promise<void>;
}

function fileBackend(): BackendFactory {
  let dir = "";
  return {
    name: "file",
    setup: async () => void (dir = await mkdtemp(join(tmpdir(), "kvmesh-discovery-"))),
    make: (namespace) => new FileDiscovery({ namespace, dir, ttlMs: TTL_MS }),
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
}

function consulBackend(): BackendFactory {
  let standin: ConsulStandin | undefined;
  return {
    name: "consul (stand-in)",
    setup: async () => void (standin = await ConsulStandin.start()),
    // A short blocking wait makes the watch wake often with an unchanged set.
    make: (namespace) => new ConsulDiscovery({ namespace, consulUrl: standin!.url, ttlMs: TTL_MS, waitMs: 300, random: seededRandom(7) }),
    teardown: async () => standin?.close(),
  };
}

async function waitFor(what: string, withinMs: number, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for: ${what}`);
    await sleep(20);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ids = (instances: ServiceInstance[]): string[] => instances.map((i) => i.instanceId);
const spec = (service: string, instanceId: string, port = 9000) => ({
  service, instanceId, address: "127.0.0.1", port, meta: { model: "kvmesh-tiny-random", block_size: "16", role: "test" },
});

/** The behaviour every backend must share. */
function discoveryConformance(factory: BackendFactory): void {
  describe(`discovery conformance: ${factory.name}`, function () {
    this.timeout(30_000);
    let open: Discovery[] = [];
    const make = (namespace = "kvmesh"): Discovery => {
      const d = factory.make(namespace);
      open.push(d);
      return d;
    };
    before(() => factory.setup());
    after(() => factory.teardown());
    afterEach(async () => {
      await Promise.all(open.map((d) => d.close()));
      open = [];
    });

    it("lists and watches a registered instance with its fields, then drops it on deregister", async () => {
      const [owner, reader] = [make(), make()];
      const seen: string[][] = [];
      reader.watch("worker-a", (list) => seen.push(ids(list)));
      await waitFor("initial empty snapshot", 2000, () => seen.length === 1);
      expect(seen[0]).to.deep.equal([]);
      const reg = await owner.register(spec("worker-a", "w1", 4242));
      expect(await reader.list("worker-a")).to.deep.equal([{ ...spec("worker-a", "w1", 4242), namespace: "kvmesh" }]);
      await waitFor("watch sees w1", 2000, () => seen.at(-1)?.join() === "w1");
      await reg.deregister();
      expect(await reader.list("worker-a")).to.deep.equal([]);
      await waitFor("watch sees w1 gone", 2000, () => seen.at(-1)?.length === 0);
      await reg.deregister(); // idempotent
    });

    it("drops a draining instance from list and watch while it keeps heartbeating", async () => {
      const d = make();
      const seen: string[][] = [];
      d.watch("worker-b", (list) => seen.push(ids(list)));
      const [r1] = await Promise.all([d.register(spec("worker-b", "b1")), d.register(spec("worker-b", "b2"))]);
      await waitFor("both seen", 2000, () => seen.at(-1)?.join() === "b1,b2");
      await r1.markDraining();
      expect(ids(await d.list("worker-b"))).to.deep.equal(["b2"]);
      await waitFor("watch drops b1", 2000, () => seen.at(-1)?.join() === "b2");
      await sleep(TTL_MS * 1.5); // heartbeats of a draining instance must not bring it back
      expect(ids(await d.list("worker-b"))).to.deep.equal(["b2"]);
    });

    it("keeps a heartbeating instance past several TTLs and fires watch only on change", async () => {
      const d = make();
      const seen: string[][] = [];
      d.watch("worker-c", (list) => seen.push(ids(list)));
      await waitFor("initial empty snapshot", 2000, () => seen.length === 1);
      await d.register(spec("worker-c", "c1"));
      await waitFor("c1 seen", 2000, () => seen.at(-1)?.join() === "c1");
      await sleep(TTL_MS * 2.5);
      expect(ids(await d.list("worker-c"))).to.deep.equal(["c1"]);
      expect(seen).to.deep.equal([[], ["c1"]]);
    });

    it("drops an instance whose owner stopped heartbeating within the TTL", async () => {
      const [owner, reader] = [make(), make()];
      await owner.register(spec("worker-d", "d1"));
      expect(ids(await reader.list("worker-d"))).to.deep.equal(["d1"]);
      await owner.close(); // stops heartbeats without deregistering, as a crash would
      // The last heartbeat may have been just before close: gone within TTL (+ scheduling slack).
      await waitFor("d1 expired", TTL_MS + 500, async () => (await reader.list("worker-d")).length === 0);
    });

    const namespacePairs = [
      { a: "ns1", b: "ns2", serviceA: "worker", serviceB: "worker" },
      // Same Consul service name (`a-b-c`) on purpose: the namespace must still separate them.
      { a: "a-b", b: "a", serviceA: "c", serviceB: "b-c" },
    ];
    for (const { a, b, serviceA, serviceB } of namespacePairs) {
      it(`keeps namespaces apart (${a}/${serviceA} vs ${b}/${serviceB})`, async () => {
        const [da, db] = [make(a), make(b)];
        await da.register(spec(serviceA, "in-a"));
        await db.register(spec(serviceB, "in-b"));
        expect(ids(await da.list(serviceA))).to.deep.equal(["in-a"]);
        expect(ids(await db.list(serviceB))).to.deep.equal(["in-b"]);
        expect((await da.list(serviceA))[0].namespace).to.equal(a);
        if (serviceA === serviceB) expect(ids(await db.list(serviceA))).to.deep.equal(["in-b"]);
      });
    }

    it("rejects an instance from another namespace", async () => {
      const d = make("ns1");
      let error: unknown;
      await d.register({ ...spec("worker", "x"), namespace: "ns2" }).catch((err: unknown) => (error = err));
      expect(String(error)).to.match(/namespace/);
    });

    it("loses nothing under 200 concurrent registrations and 100 concurrent deregistrations", async () => {
      const d = make();
      const seen: string[][] = [];
      d.watch("worker-e", (list) => seen.push(ids(list)));
      const all = Array.from({ length: 200 }, (_, i) => `e${String(i).padStart(3, "0")}`);
      const regs = await Promise.all(all.map((id, i) => d.register(spec("worker-e", id, 10_000 + i))));
      expect(ids(await d.list("worker-e"))).to.deep.equal(all);
      const random = seededRandom(42);
      const order = all.map((id, i) => ({ i, key: random() })).sort((x, y) => x.key - y.key);
      const dropped = new Set(order.slice(0, 100).map(({ i }) => all[i]));
      await Promise.all(regs.filter((r) => dropped.has(r.instance.instanceId)).map((r) => r.deregister()));
      const kept = all.filter((id) => !dropped.has(id));
      expect(ids(await d.list("worker-e"))).to.deep.equal(kept);
      await waitFor("watch converges on the kept set", 3000, () => seen.at(-1)?.join() === kept.join());
      await sleep(TTL_MS * 1.2); // and heartbeats keep exactly that set alive
      expect(ids(await d.list("worker-e"))).to.deep.equal(kept);
    });
  });
}

discoveryConformance(fileBackend());
discoveryConformance(consulBackend());
