/**
 * The one gRPC client cache: a channel per discovered instance, made on first use, replaced when
 * the instance's address changes and closed when it leaves. The replica pools (next-hop
 * services) and the worker directory both keep their clients here.
 */
import type { Client } from "@grpc/grpc-js";
import { dialAddress } from "./discovery/address.js";
import type { ServiceInstance } from "./discovery/types.js";
import { createClient } from "./grpc-client.js";
import type { ClientConstructor } from "./grpc-client.js";

/** Clients of one generated service, keyed by instance id. */
export class ClientCache<C extends Client> {
  private readonly clients = new Map<string, { address: string; client: C }>();

  constructor(private readonly Ctor: ClientConstructor<C>) {}

  /** The client of instance `instanceId` at `address` (`host:port`); a new address replaces the old channel. */
  get(instanceId: string, address: string): C {
    const held = this.clients.get(instanceId);
    if (held !== undefined && held.address === address) return held.client;
    held?.client.close();
    const client = createClient(this.Ctor, address);
    this.clients.set(instanceId, { address, client });
    return client;
  }

  /** The client of a discovered instance. */
  of(instance: Pick<ServiceInstance, "instanceId" | "address" | "port">): C {
    return this.get(instance.instanceId, dialAddress(instance));
  }

  /** Closes the clients of every instance not in `live` (they left discovery). */
  retain(live: readonly Pick<ServiceInstance, "instanceId">[]): void {
    const alive = new Set(live.map((i) => i.instanceId));
    for (const id of [...this.clients.keys()]) if (!alive.has(id)) this.drop(id);
  }

  /** Closes one instance's client. */
  drop(instanceId: string): void {
    this.clients.get(instanceId)?.client.close();
    this.clients.delete(instanceId);
  }

  /** How many clients are open (for tests and debugging). */
  get size(): number {
    return this.clients.size;
  }

  /** Closes every client. */
  closeAll(): void {
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }
}
