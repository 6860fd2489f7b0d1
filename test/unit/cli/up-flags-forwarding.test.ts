// `kvmesh up` forwards the flags it accepts: common ones to every service, each service's own
// to that service; metrics ports are per service.
import { expect } from "chai";
import { parseConfig } from "#common/config/index.js";
import { serviceNodeArgs } from "../../../cli/up/child.js";
import { argsFor, givenFlags } from "../../../cli/up/forward-args.js";
import { metricsPortOrder, metricsPorts } from "../../../cli/up/metrics-ports.js";
import { SHARED_FLAGS, UP_SERVICES, upSpec } from "../../../cli/up/up-flags.js";

describe("up flag forwarding", () => {
  const spec = upSpec();

  it("--shutdown-grace, --log-level and --discovery-ttl reach every service", () => {
    const given = givenFlags(["--shutdown-grace", "3s", "--log-level=debug", "--discovery-ttl", "2s"], spec);
    for (const service of UP_SERVICES) {
      expect(argsFor(service, given), service).to.include.members(["--shutdown-grace", "3s", "--log-level=debug", "--discovery-ttl", "2s"]);
    }
  });

  it("a service's own flag goes only to that service", () => {
    const given = givenFlags(["--request-timeout", "5s", "--migration-limit", "2"], spec);
    expect(argsFor("frontend", given)).to.deep.equal(["--request-timeout", "5s"]);
    expect(argsFor("router", given)).to.deep.equal(["--migration-limit", "2"]);
    expect(argsFor("worker", given)).to.deep.equal([]);
  });

  it("per-service and identity flags are not forwarded as given (up sets them per service)", () => {
    for (const name of ["listen", "metrics-port", "check-config", "namespace", "discovery-dir"]) expect(SHARED_FLAGS).to.not.include(name);
    expect(SHARED_FLAGS).to.include("shutdown-grace");
    const given = givenFlags(["--metrics-port", "9100", "--namespace", "n", "--join", "m"], spec);
    for (const service of UP_SERVICES) expect(argsFor(service, given), service).to.deep.equal([]);
    expect(spec.map((f) => f.name)).to.include.members(["join", "metrics-port", "shutdown-grace", "workers"]);
  });

  it("--metrics-port P gives frontend P, preprocessor P+1, router P+2, workers P+3..", () => {
    const order = metricsPortOrder(["worker-0", "worker-1"]);
    expect([...metricsPorts(9100, order)]).to.deep.equal([["frontend", 9100], ["preprocessor", 9101], ["router", 9102], ["worker-0", 9103], ["worker-1", 9104]]);
    expect([...metricsPorts(0, order).values()]).to.deep.equal([0, 0, 0, 0, 0]);
    expect([...metricsPorts(undefined, order).values()]).to.deep.equal([undefined, undefined, undefined, undefined, undefined]);
    // The last port may be 65535, not one more.
    expect(metricsPorts(65531, order).get("worker-1")).to.equal(65535);
    expect(() => metricsPorts(65532, order)).to.throw(/65536 > 65535/);
  });

  it("--service-heap-mb: 1024 by default, passed to node (not to the service), 0 leaves node's own limit", () => {
    expect(parseConfig(spec, [], {}).serviceHeapMb).to.equal(1024);
    expect(serviceNodeArgs(1024)).to.deep.equal(["--max-old-space-size=1024"]);
    expect(serviceNodeArgs(1)).to.deep.equal(["--max-old-space-size=1"]);
    expect(serviceNodeArgs(0)).to.deep.equal([]);
    const given = givenFlags(["--service-heap-mb", "300"], spec);
    for (const service of UP_SERVICES) expect(argsFor(service, given), service).to.deep.equal([]);
    expect(parseConfig(spec, ["--service-heap-mb", "65536"], {}).serviceHeapMb).to.equal(65536);
    expect(parseConfig(spec, ["--service-heap-mb", "0"], {}).serviceHeapMb).to.equal(0);
    expect(() => parseConfig(spec, ["--service-heap-mb", "65537"], {})).to.throw(/service-heap-mb/);
    expect(() => parseConfig(spec, ["--service-heap-mb", "-1"], {})).to.throw(/service-heap-mb/);
  });
});
