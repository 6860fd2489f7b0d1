/**
 * Callers' view of the next service's replicas: the live instances of one discovery service,
 * one gRPC client each, picked round-robin (ARCHITECTURE.md "Replicas"). Clients of departed
 * instances are closed when the watch reports them gone.
 */
import type { Client } from "@grpc/grpc-js";
import { ClientCache } from "./client-cache.js";
import { FirstAnswer } from "./discovery/first-answer.js";
import type { Discovery, ServiceInstance, Watch } from "./discovery/index.js";
import type { ClientConstructor } from "./grpc-client.js";

/** One replica and its client. */
export interface Replica<C extends Client> {
  readonly instance: ServiceInstance;
  readonly client: C;
}

/** Follows `service` in discovery and hands out its replicas in turn. */
export class ReplicaPool<C extends Client> {
  private instances: ServiceInstance[] = [];
  private readonly clients: ClientCache<C>;
  private next = 0;
  private readonly watch: Watch;
  private readonly firstAnswer: FirstAnswer;
  private readonly listeners = new Set<(instances: ServiceInstance[]) => void>();

  /** @param options.firstAnswerWaitMs how long whenReady() waits for discovery's first list (default FIRST_ANSWER_WAIT_MS). */
  constructor(discovery: Discovery, readonly service: string, Ctor: ClientConstructor<C>, private readonly options: { firstAnswerWaitMs?: number } = {}) {
    this.clients = new ClientCache(Ctor);
    this.firstAnswer = new FirstAnswer(`${service} replicas`);
    this.watch = discovery.watch(service, (instances) => {
      this.update(instances);
      this.firstAnswer.arrived();
    });
  }

  /**
   * Resolves once discovery's first list of replicas arrived; rejects with NoWorkerError
   * (UNAVAILABLE) when it has not within `timeoutMs` (default FIRST_ANSWER_WAIT_MS): a request
   * fails at once with a clear error instead of waiting to its deadline on a silent discovery.
   */
  whenReady(timeoutMs = this.options.firstAnswerWaitMs): Promise<void> {
    return this.firstAnswer.wait(timeoutMs);
  }

  /** The live instances now (sorted by instance id). */
  get live(): readonly ServiceInstance[] {
    return this.instances;
  }

  /** Called with every new live set. Returns the function that removes the listener. */
  onChange(listener: (instances: ServiceInstance[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The next replica round-robin, skipping `exclude` (instance ids); undefined when none is left. */
  pick(exclude: ReadonlySet<string> = new Set(), filter: (i: ServiceInstance) => boolean = () => true): Replica<C> | undefined {
    const candidates = this.instances.filter((i) => !exclude.has(i.instanceId) && filter(i));
    if (candidates.length === 0) return undefined;
    const instance = candidates[this.next++ % candidates.length];
    return { instance, client: this.clientOf(instance) };
  }

  /** The client of one instance (made on first use, kept while the instance lives). */
  clientOf(instance: ServiceInstance): C {
    return this.clients.of(instance);
  }

  /** Stops watching and closes every client. */
  close(): void {
    this.watch.close();
    this.clients.closeAll();
  }

  private update(instances: ServiceInstance[]): void {
    this.instances = instances;
    this.clients.retain(instances);
    for (const listener of [...this.listeners]) listener(instances);
  }
}
