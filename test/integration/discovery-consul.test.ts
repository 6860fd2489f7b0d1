// Consul-specific behaviour of the discovery backend, and the Consul rules the stand-in enforces.
// No Consul server can be installed from the registries these machines reach, so this is a
// loopback stand-in (test/support/consul-standin.ts) of the endpoints the backend calls.
import { expect } from "chai";
import { ConsulDiscovery } from "#common/discovery/index.js";
import type { ServiceInstance } from "#common/discovery/index.js";
import { ConsulStandin } from "../support/consul-standin.js";

const TTL_MS = 1000;

async function call(standin: ConsulStandin, method: string, path: string, body?: unknown): Promise<{ status: number; index: bigint; json: unknown }> {
  const res = await fetch(`${standin.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const index = BigInt(res.headers.get("x-consul-index") ?? "0");
  return { status: res.status, index, json: res.headers.get("content-type")?.includes("json") && text ? JSON.parse(text) : text };
}

async function waitFor(what: string, withinMs: number, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ttlService = (id: string, check: Record<string, unknown>) => ({ ID: id, Name: "kvmesh-worker", Address: "127.0.0.1", Port: 1, Check: { TTL: "1s", ...check } });
const passingIds = async (s: ConsulStandin): Promise<string[]> =>
  ((await call(s, "GET", "/v1/health/service/kvmesh-worker?passing")).json as { Service: { ID: string } }[]).map((e) => e.Service.ID);

describe("consul stand-in enforces Consul's rules", function () {
  this.timeout(20_000);
  let standin: ConsulStandin;
  beforeEach(async () => void (standin = await ConsulStandin.start()));
  afterEach(() => standin.close());

  const rejected = [
    { name: "DeregisterCriticalServiceAfter under 1m", body: ttlService("a", { DeregisterCriticalServiceAfter: "30s" }), status: 400 },
    { name: "a malformed TTL", body: ttlService("a", { TTL: "soon" }), status: 400 },
    { name: "a missing name", body: { ID: "a" }, status: 400 },
    { name: "an invalid meta key", body: { ...ttlService("a", {}), Meta: { "bad key": "x" } }, status: 400 },
  ];
  for (const { name, body, status } of rejected) {
    it(`rejects a registration with ${name}`, async () => {
      expect((await call(standin, "PUT", "/v1/agent/service/register", body)).status).to.equal(status);
      expect(standin.serviceIds("kvmesh-worker")).to.deep.equal([]);
    });
  }

  it("answers 404 for unknown check and service ids", async () => {
    expect((await call(standin, "PUT", "/v1/agent/check/pass/service:nope")).status).to.equal(404);
    expect((await call(standin, "PUT", "/v1/agent/service/deregister/nope")).status).to.equal(404);
    expect((await call(standin, "PUT", "/v1/agent/service/maintenance/nope?enable=true")).status).to.equal(404);
  });

  it("starts a TTL check critical unless a status is given, and turns it critical on a missed TTL", async () => {
    await call(standin, "PUT", "/v1/agent/service/register", ttlService("no-status", { DeregisterCriticalServiceAfter: "1m" }));
    await call(standin, "PUT", "/v1/agent/service/register", ttlService("passing", { Status: "passing", DeregisterCriticalServiceAfter: "1m" }));
    expect(await passingIds(standin)).to.deep.equal(["passing"]);
    await waitFor("missed TTL turns critical", TTL_MS + 500, async () => (await passingIds(standin)).length === 0);
    expect(standin.serviceIds("kvmesh-worker")).to.deep.equal(["no-status", "passing"]); // critical, not reaped yet
    expect((await call(standin, "PUT", "/v1/agent/check/pass/service:passing")).status).to.equal(200);
    expect(await passingIds(standin)).to.deep.equal(["passing"]);
  });

  it("holds a blocking query until the index moves, and returns the same index when wait ends", async () => {
    const first = await call(standin, "GET", "/v1/health/service/kvmesh-worker?passing");
    const idle = await call(standin, "GET", `/v1/health/service/kvmesh-worker?passing&index=${first.index}&wait=100ms`);
    expect(idle.index).to.equal(first.index);
    let answered = false;
    const held = call(standin, "GET", `/v1/health/service/kvmesh-worker?passing&index=${first.index}&wait=10s`).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answered).to.equal(false);
    await call(standin, "PUT", "/v1/agent/service/register", ttlService("x", { Status: "passing" }));
    const moved = await held;
    expect(moved.index > first.index).to.equal(true);
    expect((moved.json as unknown[]).length).to.equal(1);
  });
});

describe("consul discovery backend specifics", function () {
  this.timeout(30_000);
  let standin: ConsulStandin;
  let discovery: ConsulDiscovery;
  const make = (): ConsulDiscovery => new ConsulDiscovery({ namespace: "kvmesh", consulUrl: standin.url, ttlMs: TTL_MS, waitMs: 2000, random: () => 0.5 });
  beforeEach(async () => {
    standin = await ConsulStandin.start();
    discovery = make();
  });
  afterEach(async () => {
    await discovery.close();
    await standin.close();
  });

  it("uses maintenance mode to drain and a TTL check named service:<id> to heartbeat", async () => {
    const reg = await discovery.register({ service: "worker", instanceId: "w1", address: "127.0.0.1", port: 5, meta: {} });
    await waitFor("a heartbeat", TTL_MS, () => standin.requests.includes("PUT /v1/agent/check/pass/service:w1"));
    await reg.markDraining();
    expect(standin.requests).to.include("PUT /v1/agent/service/maintenance/w1");
    expect(standin.serviceIds("kvmesh-worker")).to.deep.equal(["w1"]); // still registered, just not passing
    expect(await discovery.list("worker")).to.deep.equal([]);
    await reg.deregister();
    expect(standin.serviceIds("kvmesh-worker")).to.deep.equal([]);
  });

  it("registers again when the agent forgot the instance (heartbeat 404)", async () => {
    await discovery.register({ service: "worker", instanceId: "w2", address: "127.0.0.1", port: 5, meta: { role: "decode" } });
    expect((await call(standin, "PUT", "/v1/agent/service/deregister/w2")).status).to.equal(200);
    expect(await discovery.list("worker")).to.deep.equal([]);
    await waitFor("w2 back", TTL_MS, async () => (await discovery.list("worker")).length === 1);
  });

  it("keeps watching across an agent restart on the same port (index reset, backoff)", async () => {
    const seen: string[][] = [];
    discovery.watch("worker", (list: ServiceInstance[]) => seen.push(list.map((i) => i.instanceId)));
    await discovery.register({ service: "worker", instanceId: "w3", address: "127.0.0.1", port: 5, meta: {} });
    await waitFor("w3 seen", 2000, () => seen.at(-1)?.join() === "w3");
    const port = standin.port;
    await standin.close(); // the agent goes away, state and index with it
    standin = await ConsulStandin.start(port);
    // The heartbeat gets 404 and registers again; the watch's index went backwards and resets.
    await waitFor("w3 registered again", 5000, () => standin.serviceIds("kvmesh-worker").join() === "w3");
    expect(await discovery.list("worker")).to.have.length(1);
    // The watch follows the new agent: a new instance shows up in it.
    await discovery.register({ service: "worker", instanceId: "w4", address: "127.0.0.1", port: 6, meta: {} });
    await waitFor("watch follows the restarted agent", 8000, () => seen.at(-1)?.join() === "w3,w4");
  });
});
