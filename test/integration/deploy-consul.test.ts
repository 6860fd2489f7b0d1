// The Consul backend as deployments use it: what a registration tells the agent (tags, meta,
// the check's definition), the ACL token on every call, and deregistration that survives a
// transient agent error. The agent here is a loopback HTTP server that records each request
// and answers as scripted (no Consul server can be installed on these machines); Consul's
// rules themselves are covered against the stand-in in discovery-consul.test.ts.
import { expect } from "chai";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConsulDiscovery } from "#common/discovery/index.js";
import { consulMeta } from "#common/discovery/consul-mapping.js";

interface Recorded { method: string; path: string; headers: IncomingHttpHeaders; body: string }

/** A loopback "agent": records requests; `status(path, n)` says how to answer the n-th request to a path. */
async function startRecordingAgent(status: (path: string, n: number) => number): Promise<{ url: string; requests: Recorded[]; close(): Promise<void>; server: Server }> {
  const requests: Recorded[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      requests.push({ method: req.method ?? "", path, headers: req.headers, body });
      const n = (seen.get(path) ?? 0) + 1;
      seen.set(path, n);
      res.writeHead(status(path, n), { "content-type": "application/json" }).end("");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const WORKER = { service: "worker", instanceId: "worker-1", address: "worker-host", port: 50051, meta: { model: "stories260K", block_size: "64" } };

describe("consul backend as deployed (tags, meta, check, token, deregistration)", function () {
  this.timeout(20_000);

  it("registers with role/model tags, namespace and role meta, and a described TTL check; sends the ACL token", async () => {
    const agent = await startRecordingAgent(() => 200);
    const discovery = new ConsulDiscovery({ namespace: "prod", consulUrl: agent.url, ttlMs: 3000, token: "secret-token" });
    try {
      const registration = await discovery.register(WORKER);
      await registration.deregister();
      const register = agent.requests.find((r) => r.path === "/v1/agent/service/register")!;
      const body = JSON.parse(register.body) as { Name: string; Tags: string[]; Meta: Record<string, string>; Check: Record<string, string> };
      expect(body.Name).to.equal("prod-worker");
      expect(body.Tags).to.deep.equal(["kvmesh", "role=worker", "namespace=prod", "model=stories260K"]);
      expect(body.Meta).to.deep.equal({ model: "stories260K", block_size: "64", kvmesh_namespace: "prod", kvmesh_service: "worker", kvmesh_role: "worker" });
      expect(body.Check).to.include({ TTL: "3000ms", Status: "passing", DeregisterCriticalServiceAfter: "1m" });
      expect(body.Check.Notes).to.contain("SERVING");
      for (const r of agent.requests) expect(r.headers["x-consul-token"], r.path).to.equal("secret-token");
      expect(agent.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal(["PUT /v1/agent/service/register", "PUT /v1/agent/service/deregister/worker-1"]);
    } finally {
      await discovery.close();
      await agent.close();
    }
  });

  it("takes the token from CONSUL_HTTP_TOKEN when none is given, and sends none without either", async () => {
    const agent = await startRecordingAgent(() => 200);
    const saved = process.env.CONSUL_HTTP_TOKEN;
    try {
      process.env.CONSUL_HTTP_TOKEN = "from-env";
      const withEnv = new ConsulDiscovery({ namespace: "kvmesh", consulUrl: agent.url, ttlMs: 3000 });
      await (await withEnv.register(WORKER)).deregister();
      await withEnv.close();
      delete process.env.CONSUL_HTTP_TOKEN;
      const anonymous = new ConsulDiscovery({ namespace: "kvmesh", consulUrl: agent.url, ttlMs: 3000 });
      await (await anonymous.register(WORKER)).deregister();
      await anonymous.close();
      expect(agent.requests.map((r) => r.headers["x-consul-token"])).to.deep.equal(["from-env", "from-env", undefined, undefined]);
    } finally {
      if (saved === undefined) delete process.env.CONSUL_HTTP_TOKEN;
      else process.env.CONSUL_HTTP_TOKEN = saved;
      await agent.close();
    }
  });

  it("retries a deregistration the agent failed transiently, and treats 404 as done", async () => {
    const agent = await startRecordingAgent((path, n) => (path.startsWith("/v1/agent/service/deregister/worker-1") ? (n === 1 ? 500 : 200) : path.includes("worker-2") ? 404 : 200));
    const discovery = new ConsulDiscovery({ namespace: "kvmesh", consulUrl: agent.url, ttlMs: 3000 });
    try {
      await (await discovery.register(WORKER)).deregister();
      await (await discovery.register({ ...WORKER, instanceId: "worker-2" })).deregister();
      const deregisters = agent.requests.filter((r) => r.path.includes("/deregister/")).map((r) => r.path);
      expect(deregisters).to.deep.equal(["/v1/agent/service/deregister/worker-1", "/v1/agent/service/deregister/worker-1", "/v1/agent/service/deregister/worker-2"]);
    } finally {
      await discovery.close();
      await agent.close();
    }
  });

  it("gives up after three failed attempts with the agent's error", async () => {
    const agent = await startRecordingAgent((path) => (path.includes("/deregister/") ? 500 : 200));
    const discovery = new ConsulDiscovery({ namespace: "kvmesh", consulUrl: agent.url, ttlMs: 3000 });
    try {
      const registration = await discovery.register(WORKER);
      let failed: unknown;
      await registration.deregister().catch((err: unknown) => (failed = err));
      expect(failed).to.be.instanceOf(Error);
      expect(agent.requests.filter((r) => r.path.includes("/deregister/"))).to.have.length(3);
    } finally {
      await discovery.close();
      await agent.close();
    }
  });

  it("refuses meta beyond Consul's 64 keys before calling the agent, and credentials in the URL", () => {
    const meta = Object.fromEntries(Array.from({ length: 62 }, (_, i) => [`k${i}`, "v"]));
    expect(() => consulMeta({ ...WORKER, namespace: "kvmesh", meta })).to.throw(/65 keys.*64/);
    expect(Object.keys(consulMeta({ ...WORKER, namespace: "kvmesh", meta: Object.fromEntries(Object.entries(meta).slice(1)) }))).to.have.length(64);
    expect(() => new ConsulDiscovery({ namespace: "kvmesh", consulUrl: "http://user:pw@127.0.0.1:8500", ttlMs: 1000 })).to.throw(/CONSUL_HTTP_TOKEN/);
  });
});
