import { expect } from "chai";
import { consulCheckId, consulRegisterOptions, consulServiceName, instanceFromEntry } from "#common/discovery/consul-mapping.js";
import type { ConsulHealthEntry } from "#common/discovery/consul-mapping.js";
import type { ServiceInstance } from "#common/discovery/types.js";

const instance: ServiceInstance = { service: "worker", namespace: "kvmesh", instanceId: "w1", address: "10.0.0.1", port: 9000, meta: { model: "m" } };

describe("discovery consul mapping", () => {
  it("registers a TTL check that starts passing and is reaped no sooner than Consul's 1 minute", () => {
    expect(consulRegisterOptions(instance, 1000)).to.deep.equal({
      id: "w1",
      name: "kvmesh-worker",
      address: "10.0.0.1",
      port: 9000,
      tags: ["kvmesh", "role=worker", "namespace=kvmesh", "model=m"],
      meta: { model: "m", kvmesh_namespace: "kvmesh", kvmesh_service: "worker", kvmesh_role: "worker" },
      check: {
        name: "kvmesh heartbeat", notes: "TTL refreshed by the instance every ttl/3 while it serves; registered only once SERVING",
        ttl: "1000ms", status: "passing", deregistercriticalserviceafter: "1m",
      },
    });
    expect(consulCheckId("w1")).to.equal("service:w1");
    expect(consulServiceName("ns", "router")).to.equal("ns-router");
  });

  const registered = consulRegisterOptions(instance, 1000) as { meta: Record<string, string> };
  const entry = (service: Partial<NonNullable<ConsulHealthEntry["Service"]>>): ConsulHealthEntry => ({
    Node: { Address: "10.0.0.9" },
    Service: { ID: "w1", Address: "10.0.0.1", Port: 9000, Meta: registered.meta, ...service },
  });
  const cases: { name: string; entry: ConsulHealthEntry; out: ServiceInstance | undefined }[] = [
    { name: "our own entry, reserved meta stripped", entry: entry({}), out: instance },
    { name: "an empty service address as the node's", entry: entry({ Address: "" }), out: { ...instance, address: "10.0.0.9" } },
    { name: "another namespace sharing the Consul name", entry: entry({ Meta: { ...registered.meta, kvmesh_namespace: "kvmesh-x" } }), out: undefined },
    { name: "a foreign service without our meta", entry: entry({ Meta: null }), out: undefined },
    { name: "an entry without an id", entry: entry({ ID: "" }), out: undefined },
  ];
  for (const { name, entry: e, out } of cases) {
    it(`maps ${name}`, () => expect(instanceFromEntry(e, "kvmesh", "worker")).to.deep.equal(out));
  }
});
