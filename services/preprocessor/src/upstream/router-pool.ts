/**
 * The router replicas from discovery (service "router"), picked round-robin, with one client
 * per replica kept while it stays in discovery.
 */
import type { Discovery, ServiceInstance, Watch } from "#common/discovery/index.js";
import { createClient } from "#common/grpc-client.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import { endpointOf } from "./endpoints.js";

const ROUTER_SERVICE = "router";

/** A replica to call. */
export interface RouterReplica {
  instanceId: string;
  client: RouterClient;
}

/** Round-robin over the live router replicas. */
export class RouterPool {
  private routers: ServiceInstance[] | undefined;
  private watch: Watch | undefined;
  private readonly clients = new Map<string, { endpoint: string; client: RouterClient }>();
  private next = 0;

  constructor(private readonly discovery: Pick<Discovery, "list" | "watch">) {}

  /** Follows the router set (call once; `pick` works before the first snapshot too). */
  start(): void {
    this.watch ??= this.discovery.watch(ROUTER_SERVICE, (instances) => {
      this.routers = instances;
      const live = new Set(instances.map(endpointOf));
      for (const [id, entry] of this.clients) {
        if (!live.has(entry.endpoint)) {
          entry.client.close();
          this.clients.delete(id);
        }
      }
    });
  }

  /** The next replica not in `exclude` (instance ids), or undefined when none is left. */
  async pick(exclude: ReadonlySet<string> = new Set()): Promise<RouterReplica | undefined> {
    const candidates = (this.routers ?? (await this.discovery.list(ROUTER_SERVICE))).filter((r) => !exclude.has(r.instanceId));
    if (candidates.length === 0) return undefined;
    const chosen = candidates[this.next++ % candidates.length];
    return { instanceId: chosen.instanceId, client: this.clientFor(chosen) };
  }

  /** Stops following discovery and closes every client. */
  close(): void {
    this.watch?.close();
    this.watch = undefined;
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }

  private clientFor(router: ServiceInstance): RouterClient {
    const endpoint = endpointOf(router);
    const cached = this.clients.get(router.instanceId);
    if (cached?.endpoint === endpoint) return cached.client;
    cached?.client.close();
    const client = createClient(RouterClient, endpoint);
    this.clients.set(router.instanceId, { endpoint, client });
    return client;
  }
}
