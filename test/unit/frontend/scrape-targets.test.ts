import { expect } from "chai";
import type { Discovery, ServiceInstance, WatchCallback } from "#common/discovery/index.js";
import { ScrapeTargets } from "../../../services/frontend/src/scrape-targets.js";

/** A discovery whose watches the test feeds by hand. */
function fakeDiscovery(): { discovery: Discovery; feed(service: string, instances: ServiceInstance[]): void; closed: string[] } {
  const callbacks = new Map<string, WatchCallback>();
  const closed: string[] = [];
  const discovery = {
    watch: (service: string, cb: WatchCallback) => {
      callbacks.set(service, cb);
      return { close: () => void closed.push(service) };
    },
  } as unknown as Discovery;
  return { discovery, closed, feed: (service, instances) => callbacks.get(service)!(instances) };
}

const instance = (service: string, instanceId: string, address: string, meta: Record<string, string>): ServiceInstance =>
  ({ service, namespace: "ns", instanceId, address, port: 1, meta });

describe("frontend: scrape targets for /health", () => {
  it("lists one target per metrics endpoint in request-path order, grouping the workers one process hosts", () => {
    const { discovery, feed } = fakeDiscovery();
    const targets = new ScrapeTargets(discovery);
    feed("worker", [
      instance("worker", "w-b", "127.0.0.1", { metrics_port: "9103" }),
      instance("worker", "w-a", "127.0.0.1", { metrics_port: "9103" }),
      instance("worker", "w-c", "10.0.0.2", { metrics_port: "9103" }),
    ]);
    feed("router", [instance("router", "r", "127.0.0.1", { metrics_port: "9102" })]);
    feed("frontend", [instance("frontend", "f", "::1", { metrics_port: "9100" })]);
    expect(targets.list()).to.deep.equal([
      { service: "frontend", url: "http://[::1]:9100/metrics", instances: ["f"] },
      { service: "router", url: "http://127.0.0.1:9102/metrics", instances: ["r"] },
      { service: "worker", url: "http://127.0.0.1:9103/metrics", instances: ["w-a", "w-b"] },
      { service: "worker", url: "http://10.0.0.2:9103/metrics", instances: ["w-c"] },
    ]);
  });

  it("leaves out instances without a metrics port and follows departures", () => {
    const { discovery, feed, closed } = fakeDiscovery();
    const targets = new ScrapeTargets(discovery);
    feed("preprocessor", [instance("preprocessor", "p1", "127.0.0.1", {}), instance("preprocessor", "p2", "127.0.0.1", { metrics_port: "9101" })]);
    expect(targets.list().map((t) => t.instances)).to.deep.equal([["p2"]]);
    feed("preprocessor", []);
    expect(targets.list()).to.deep.equal([]);
    targets.close();
    expect(closed.sort()).to.deep.equal(["frontend", "preprocessor", "router", "worker"]);
  });
});
