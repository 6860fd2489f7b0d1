import { watch as watchFs } from "node:fs";
import type { FSWatcher } from "node:fs";
import { mkdir } from "node:fs/promises";
import { isListed, serviceDir } from "./file-record.js";
import { removeRecord, writeRecord } from "./file-store.js";
import { Heartbeat } from "./heartbeat.js";
import { liveSetKey, normalizeSpec, sortInstances } from "./live-set.js";
import { RecordCache } from "./record-cache.js";
import type {
  Clock, Discovery, DiscoveryLog, InstanceSpec, Registration, ServiceInstance, Watch, WatchCallback,
} from "./types.js";

/** Options of the file backend. */
export interface FileDiscoveryOptions {
  namespace: string;
  /** Registry root; one directory per namespace/service, one JSON file per instance. */
  dir: string;
  /** A record not refreshed within this many ms is gone; heartbeats run every ttl/3. */
  ttlMs: number;
  log?: DiscoveryLog;
  /** Defaults to Date.now; records' expiresAt are in this clock. */
  now?: Clock;
  /** Watch poll period; defaults to min(ttl/4, 250 ms). */
  pollMs?: number;
}

const silentLog: DiscoveryLog = { warn: () => undefined, debug: () => undefined };

/**
 * Discovery over a shared directory, for processes on one machine. Each instance owns one file
 * (written atomically, refreshed by heartbeats), so any number of processes may register at once.
 */
export class FileDiscovery implements Discovery {
  readonly namespace: string;
  private readonly now: Clock;
  private readonly log: DiscoveryLog;
  private readonly pollMs: number;
  private readonly heartbeats = new Set<Heartbeat>();
  private readonly watches = new Set<Watch>();
  private readonly records = new RecordCache();

  constructor(private readonly options: FileDiscoveryOptions) {
    if (!(options.ttlMs > 0)) throw new Error(`discovery ttl must be positive, got ${options.ttlMs}`);
    this.namespace = options.namespace;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? silentLog;
    this.pollMs = options.pollMs ?? Math.max(10, Math.min(options.ttlMs / 4, 250));
  }

  /** {@inheritDoc Discovery.register} */
  async register(spec: InstanceSpec): Promise<Registration> {
    const instance = normalizeSpec(spec, this.namespace);
    const dir = this.dirOf(instance.service);
    let draining = false;
    let lastWrittenAt: number | undefined;
    const interval = this.options.ttlMs / 3;
    const write = async (): Promise<void> => {
      const started = this.now();
      writeRecord(dir, {
        instance: draining ? { ...instance, draining: true } : instance,
        expiresAt: started + this.options.ttlMs,
      });
      // A record written late, or slowly, is about to lapse in every reader's view: say which.
      const writtenAt = this.now();
      const gapMs = lastWrittenAt === undefined ? 0 : started - lastWrittenAt;
      if (gapMs > interval * 1.5 || writtenAt - started > interval / 2) {
        this.log.warn({ instance_id: instance.instanceId, since_last_ms: gapMs, write_ms: writtenAt - started, ttl_ms: this.options.ttlMs }, "discovery heartbeat late");
      }
      lastWrittenAt = writtenAt;
    };
    await write();
    const heartbeat = new Heartbeat(write, this.options.ttlMs / 3, (err) =>
      this.log.warn({ err, instance_id: instance.instanceId }, "discovery heartbeat failed"),
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
          await write();
        }),
      deregister: async () => {
        if (deregistered) return;
        deregistered = true;
        this.heartbeats.delete(heartbeat);
        await heartbeat.stop();
        await removeRecord(dir, instance.instanceId);
      },
    };
  }

  /** {@inheritDoc Discovery.list} */
  async list(service: string): Promise<ServiceInstance[]> {
    const now = this.now();
    const records = await this.records.read(this.dirOf(service), now, this.options.ttlMs);
    return sortInstances(records.filter((r) => isListed(r, now)).map((r) => r.instance));
  }

  /**
   * {@inheritDoc Discovery.watch}
   * Polls every `pollMs` (expiry needs no file event) and polls at once on a file-system event.
   */
  watch(service: string, onChange: WatchCallback): Watch {
    const dir = this.dirOf(service);
    let closed = false;
    let lastKey: string | undefined;
    let running = false;
    let again = false;
    let watcher: FSWatcher | undefined;
    const poll = async (): Promise<void> => {
      if (running) return void (again = true); // coalesce bursts of events into one more pass
      running = true;
      try {
        do {
          again = false;
          const instances = await this.list(service);
          const key = liveSetKey(instances);
          if (closed || key === lastKey) continue;
          lastKey = key;
          onChange(instances);
        } while (again && !closed);
      } catch (err) {
        this.log.warn({ err, service }, "discovery watch poll failed");
      } finally {
        running = false;
      }
    };
    const timer = setInterval(() => void poll(), this.pollMs);
    void poll();
    void mkdir(dir, { recursive: true })
      .then(() => {
        if (closed) return;
        watcher = watchFs(dir, () => void poll());
        watcher.on("error", () => watcher?.close()); // the poll still covers everything
      })
      .catch((err: unknown) => this.log.debug({ err, dir }, "discovery fs.watch unavailable; polling only"));
    const handle: Watch = {
      close: () => {
        closed = true;
        clearInterval(timer);
        watcher?.close();
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
  }

  private dirOf(service: string): string {
    return serviceDir(this.options.dir, this.namespace, service);
  }
}
