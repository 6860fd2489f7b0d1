import { createConsulClient, healthService, isNotFound } from "./consul-client.js";
import type { ConsulClient, HealthAnswer } from "./consul-client.js";
import { consulCheckId, consulRegisterOptions, consulServiceName, instanceFromEntry } from "./consul-mapping.js";
import { startConsulWatch } from "./consul-watch.js";
import { Heartbeat } from "./heartbeat.js";
import { normalizeSpec, sortInstances } from "./live-set.js";
import type { Discovery, DiscoveryLog, InstanceSpec, Registration, ServiceInstance, Watch, WatchCallback } from "./types.js";

/** Options of the Consul backend. */
export interface ConsulDiscoveryOptions {
  namespace: string;
  /** Agent URL, `http://127.0.0.1:8500` when unset. */
  consulUrl?: string;
  /** TTL of each instance's check; heartbeats run every ttl/3. */
  ttlMs: number;
  log?: DiscoveryLog;
  /** How long Consul may hold a watch's blocking query (default 30 s). */
  waitMs?: number;
  /** Jitter source for retry backoff (default Math.random). */
  random?: () => number;
  /** ACL token; default: the CONSUL_HTTP_TOKEN environment variable, as Consul's own CLI reads it. */
  token?: string;
}

/** Attempts of a deregistration before giving up (the TTL and the reaper clean up after that). */
const DEREGISTER_ATTEMPTS = 3;


const silentLog: DiscoveryLog = { warn: () => undefined, debug: () => undefined };

/**
 * Discovery on a Consul agent: TTL checks kept passing by heartbeats, passing-only health
 * queries, and blocking-query watches. The mapping is documented in consul-mapping.ts.
 */
export class ConsulDiscovery implements Discovery {
  readonly namespace: string;
  private readonly consul: ConsulClient;
  private readonly log: DiscoveryLog;
  private readonly heartbeats = new Set<Heartbeat>();
  private readonly watches = new Set<Watch>();

  constructor(private readonly options: ConsulDiscoveryOptions) {
    if (!(options.ttlMs > 0)) throw new Error(`discovery ttl must be positive, got ${options.ttlMs}`);
    this.namespace = options.namespace;
    this.log = options.log ?? silentLog;
    this.consul = createConsulClient(options.consulUrl, { token: options.token ?? process.env.CONSUL_HTTP_TOKEN });
  }

  /** {@inheritDoc Discovery.register} */
  async register(spec: InstanceSpec): Promise<Registration> {
    const instance = normalizeSpec(spec, this.namespace);
    const id = instance.instanceId;
    const agent = this.consul.agent;
    const registerOptions = consulRegisterOptions(instance, this.options.ttlMs);
    let draining = false;
    const registerAgain = async (): Promise<void> => {
      await agent.service.register(registerOptions as never);
      if (draining) await agent.service.maintenance({ id, enable: true, reason: "draining" });
    };
    await agent.service.register(registerOptions as never);
    const beat = async (): Promise<void> => {
      try {
        await agent.check.pass({ id: consulCheckId(id), note: "serving" });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The agent forgot us (restarted, or reaped us after a long critical spell): come back.
        this.log.warn({ instance_id: id }, "consul lost the registration; registering again");
        await registerAgain();
      }
    };
    const heartbeat = new Heartbeat(beat, this.options.ttlMs / 3, (err) =>
      this.log.warn({ err, instance_id: id }, "discovery heartbeat failed"),
    );
    heartbeat.start();
    this.heartbeats.add(heartbeat);
    let deregistered = false;
    return {
      instance,
      markDraining: () =>
        heartbeat.run(async () => {
          if (deregistered) return;
          draining = true;
          await agent.service.maintenance({ id, enable: true, reason: "draining" });
        }),
      deregister: async () => {
        if (deregistered) return;
        deregistered = true;
        this.heartbeats.delete(heartbeat);
        await heartbeat.stop();
        await this.deregisterWithRetry(id);
      },
    };
  }

  /** {@inheritDoc Discovery.list} */
  async list(service: string): Promise<ServiceInstance[]> {
    return this.toInstances(service, await healthService(this.consul, consulServiceName(this.namespace, service)));
  }

  /** {@inheritDoc Discovery.watch} */
  watch(service: string, onChange: WatchCallback): Watch {
    const inner = startConsulWatch({
      consul: this.consul,
      name: consulServiceName(this.namespace, service),
      toInstances: (answer) => this.toInstances(service, answer),
      onChange,
      waitMs: this.options.waitMs ?? 30_000,
      backoff: { baseMs: 200, maxMs: 10_000, random: this.options.random ?? Math.random },
      log: this.log,
    });
    const handle: Watch = {
      close: () => {
        inner.close();
        this.watches.delete(handle);
      },
    };
    this.watches.add(handle);
    return handle;
  }

  /** {@inheritDoc Discovery.close} */
  async close(): Promise<void> {
    for (const w of [...this.watches]) w.close();
    const beats = [...this.heartbeats];
    this.heartbeats.clear();
    await Promise.all(beats.map((h) => h.stop()));
    this.consul.destroy();
  }

  /**
   * Removes the service; 404 means already gone. A transient failure is retried briefly, since a
   * stale passing record would keep drawing requests until its TTL ran out.
   */
  private async deregisterWithRetry(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.consul.agent.service.deregister(id);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (attempt >= DEREGISTER_ATTEMPTS) throw err;
        this.log.warn({ err, instance_id: id, attempt }, "consul deregistration failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  private toInstances(service: string, answer: HealthAnswer): ServiceInstance[] {
    const instances = answer.entries.map((e) => instanceFromEntry(e, this.namespace, service));
    return sortInstances(instances.filter((i): i is ServiceInstance => i !== undefined));
  }
}
