import { expect } from "chai";
import { liveSetKey, normalizeSpec, sortInstances } from "#common/discovery/live-set.js";
import type { InstanceSpec, ServiceInstance } from "#common/discovery/types.js";

const spec: InstanceSpec = { service: "worker", instanceId: "w1", address: "127.0.0.1", port: 8000, meta: { model: "m", block_size: "16" } };
const inst = (id: string, extra: Partial<ServiceInstance> = {}): ServiceInstance => ({ ...spec, namespace: "kvmesh", instanceId: id, ...extra });

describe("discovery instance validation and live sets", () => {
  it("fills in the namespace and copies meta", () => {
    const out = normalizeSpec(spec, "kvmesh");
    expect(out).to.deep.equal({ ...spec, namespace: "kvmesh" });
    expect(out.meta).to.not.equal(spec.meta);
  });

  const invalid: { name: string; spec: InstanceSpec; error: RegExp }[] = [
    { name: "another namespace", spec: { ...spec, namespace: "other" }, error: /namespace/ },
    { name: "an empty service", spec: { ...spec, service: "" }, error: /service/ },
    { name: "an empty instance id", spec: { ...spec, instanceId: "" }, error: /instanceId/ },
    { name: "a fractional port", spec: { ...spec, port: 1.5 }, error: /port/ },
    { name: "a port above 65535", spec: { ...spec, port: 70000 }, error: /port/ },
    { name: "a meta key with a space", spec: { ...spec, meta: { "a b": "x" } }, error: /meta key/ },
    { name: "a reserved meta key", spec: { ...spec, meta: { kvmesh_namespace: "x" } }, error: /meta key/ },
    { name: "a consul- meta key", spec: { ...spec, meta: { "consul-x": "x" } }, error: /meta key/ },
    { name: "a non-string meta value", spec: { ...spec, meta: { n: 1 as unknown as string } }, error: /meta "n"/ },
    { name: "a meta value over 512 chars", spec: { ...spec, meta: { n: "x".repeat(513) } }, error: /meta "n"/ },
  ];
  for (const { name, spec: bad, error } of invalid) {
    it(`rejects ${name}`, () => expect(() => normalizeSpec(bad, "kvmesh")).to.throw(error));
  }

  it("sorts by instance id", () => {
    expect(sortInstances([inst("b"), inst("a"), inst("c")]).map((i) => i.instanceId)).to.deep.equal(["a", "b", "c"]);
  });

  const keys = [
    { name: "order", a: [inst("a"), inst("b")], b: [inst("b"), inst("a")], equal: true },
    { name: "meta key order", a: [inst("a", { meta: { x: "1", y: "2" } })], b: [inst("a", { meta: { y: "2", x: "1" } })], equal: true },
    { name: "a port change", a: [inst("a")], b: [inst("a", { port: 1 })], equal: false },
    { name: "a meta change", a: [inst("a")], b: [inst("a", { meta: { model: "n", block_size: "16" } })], equal: false },
    { name: "one more instance", a: [inst("a")], b: [inst("a"), inst("b")], equal: false },
  ];
  for (const { name, a, b, equal } of keys) {
    it(`${equal ? "ignores" : "notices"} ${name} in the live-set key`, () => expect(liveSetKey(a) === liveSetKey(b)).to.equal(equal));
  }
});
