// An in-memory Discovery for in-process tests: register adds to the live set, deregister (or
// `remove`) drops from it, and every watch sees each change at once.
import type { Discovery, InstanceSpec, Registration, ServiceInstance, Watch, WatchCallback } from "#common/discovery/index.js";

/** A Discovery whose live set the test controls. */
export class MemoryDiscovery implements Discovery {
  readonly namespace = "test";
  private readonly instances = new Map<string, ServiceInstance>();
  private readonly watches = new Set<{ service: string; onChange: WatchCallback }>();

  /** See {@link Discovery.register}. */
  async register(spec: InstanceSpec): Promise<Registration> {
    const instance: ServiceInstance = { ...spec, namespace: this.namespace };
    this.instances.set(instance.instanceId, instance);
    this.notify();
    return { instance, markDraining: async () => this.remove(instance.instanceId), deregister: async () => this.remove(instance.instanceId) };
  }

  /** Drops an instance from the live set (as a TTL expiry would). */
  remove(instanceId: string): void {
    if (this.instances.delete(instanceId)) this.notify();
  }

  /** See {@link Discovery.list}. */
  async list(service: string): Promise<ServiceInstance[]> {
    return this.live(service);
  }

  /** See {@link Discovery.watch}. */
  watch(service: string, onChange: WatchCallback): Watch {
    const entry = { service, onChange };
    this.watches.add(entry);
    queueMicrotask(() => this.watches.has(entry) && onChange(this.live(service)));
    return { close: () => void this.watches.delete(entry) };
  }

  /** See {@link Discovery.close}. */
  async close(): Promise<void> {
    this.watches.clear();
  }

  private live(service: string): ServiceInstance[] {
    return [...this.instances.values()].filter((i) => i.service === service).sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
  }

  private notify(): void {
    for (const w of this.watches) w.onChange(this.live(w.service));
  }
}
