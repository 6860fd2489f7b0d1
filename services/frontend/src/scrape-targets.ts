/**
 * Every mesh process's Prometheus endpoint, as the services register it in discovery (meta
 * `metrics_port`), so `/health` can tell an operator what to scrape without reading each
 * service's logs. Processes that host several workers register one port for all of them.
 */
import { hostPort } from "#common/discovery/index.js";
import type { Discovery, ServiceInstance, Watch } from "#common/discovery/index.js";

/** The services whose metrics the mesh exposes, in request-path order. */
const SERVICES = ["frontend", "preprocessor", "router", "worker"] as const;

/** One scrape target. */
export interface ScrapeTarget {
  readonly service: string;
  /** `http://host:port/metrics`. */
  readonly url: string;
  /** The instances served by that endpoint (several for a process hosting several workers). */
  readonly instances: readonly string[];
}

/** Keeps the live scrape targets of every service of the namespace. */
export class ScrapeTargets {
  private readonly live = new Map<string, readonly ServiceInstance[]>();
  private readonly watches: Watch[];

  constructor(discovery: Discovery) {
    this.watches = SERVICES.map((service) => discovery.watch(service, (instances) => this.live.set(service, instances)));
  }

  /** The targets now, grouped by endpoint, in service order. */
  list(): ScrapeTarget[] {
    const out: ScrapeTarget[] = [];
    for (const service of SERVICES) {
      const byUrl = new Map<string, string[]>();
      for (const i of this.live.get(service) ?? []) {
        const port = i.meta.metrics_port;
        if (port === undefined) continue;
        const url = `http://${hostPort(i.address, port)}/metrics`;
        byUrl.set(url, [...(byUrl.get(url) ?? []), i.instanceId]);
      }
      for (const [url, instances] of byUrl) out.push({ service, url, instances: instances.sort() });
    }
    return out;
  }

  close(): void {
    for (const w of this.watches) w.close();
  }
}
