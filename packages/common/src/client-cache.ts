/**
 * The one gRPC client cache: a channel per discovered instance, made on first use, replaced when
 * the instance's address changes and closed when it leaves. The replica pools (next-hop
 * services) and the worker directory both keep their clients here. A channel whose calls have
 * reached the reset budget (reset-budget.ts) is retired: new calls get a fresh client on a
 * connection of its own, and the old one is closed once its last call has ended.
 */
import type { Client } from "@grpc/grpc-js";
import { dialAddress } from "./discovery/address.js";
import type { ServiceInstance } from "./discovery/types.js";
import { createClient } from "./grpc-client.js";
import type { ClientConstructor } from "./grpc-client.js";
import { CallTracker, RESET_BUDGET } from "./reset-budget.js";

interface Held<C> {
  address: string;
  client: C;
  tracker: CallTracker;
}

/** Clients of one generated service, keyed by instance id. */
export class ClientCache<C extends Client> {
  private readonly clients = new Map<string, Held<C>>();
  /** Retired clients whose calls are still running, by instance id. */
  private readonly retired = new Map<string, Set<Held<C>>>();

  /** `resetBudget`: see {@link RESET_BUDGET} (tests vary it; Infinity never rotates). */
  constructor(private readonly Ctor: ClientConstructor<C>, private readonly resetBudget = RESET_BUDGET) {}

  /** The client of instance `instanceId` at `address` (`host:port`); a new address replaces the old channel. */
  get(instanceId: string, address: string): C {
    const held = this.clients.get(instanceId);
    if (held !== undefined && held.address === address) {
      if (held.tracker.exposure < this.resetBudget) return held.client;
      this.retire(instanceId, held);
    } else held?.client.close();
    const tracker = new CallTracker();
    const client = createClient(this.Ctor, address, {}, tracker);
    this.clients.set(instanceId, { address, client, tracker });
    return client;
  }

  /** The client of a discovered instance. */
  of(instance: Pick<ServiceInstance, "instanceId" | "address" | "port">): C {
    return this.get(instance.instanceId, dialAddress(instance));
  }

  /** Closes the clients of every instance not in `live` (they left discovery). */
  retain(live: readonly Pick<ServiceInstance, "instanceId">[]): void {
    const alive = new Set(live.map((i) => i.instanceId));
    for (const id of new Set([...this.clients.keys(), ...this.retired.keys()])) if (!alive.has(id)) this.drop(id);
  }

  /** Closes one instance's clients, the retired ones too. */
  drop(instanceId: string): void {
    this.clients.get(instanceId)?.client.close();
    this.clients.delete(instanceId);
    for (const old of this.retired.get(instanceId) ?? []) old.client.close();
    this.retired.delete(instanceId);
  }

  /** How many clients are in use, one per instance (for tests and debugging). */
  get size(): number {
    return this.clients.size;
  }

  /** How many retired clients still wait for their calls to end (for tests and debugging). */
  get retiring(): number {
    let n = 0;
    for (const set of this.retired.values()) n += set.size;
    return n;
  }

  /** Closes every client. */
  closeAll(): void {
    for (const id of new Set([...this.clients.keys(), ...this.retired.keys()])) this.drop(id);
  }

  private retire(instanceId: string, held: Held<C>): void {
    const set = this.retired.get(instanceId) ?? new Set<Held<C>>();
    this.retired.set(instanceId, set);
    set.add(held);
    held.tracker.whenIdle(() => {
      held.client.close();
      set.delete(held);
      if (set.size === 0 && this.retired.get(instanceId) === set) this.retired.delete(instanceId);
    });
  }
}
