import { dialAddress } from "#common/discovery/index.js";
import type { ServiceInstance } from "#common/discovery/index.js";
import type { WorkerDirectory } from "#common/directory/worker-directory.js";
import type { Logger } from "#common/logger.js";
import type { WorkerId } from "../indexer/types.js";
import type { WorkerRegistry, WorkerView } from "./worker-registry.js";

/** What happens to a worker over its life, as the rest of the router needs to know it. */
export interface WorkerLifecycle {
  /** Its model card arrived: it can be indexed (and, unless excluded, routed to). */
  ready(worker: WorkerView): void;
  /** It left discovery (or re-registered elsewhere): forget it. */
  gone(workerId: WorkerId, model: string): void;
}

/** Settings of {@link WorkerWatch}. */
export interface WorkerWatchOptions {
  /** Common's worker directory: the live set, each worker's client and its model card. */
  directory: Pick<WorkerDirectory, "onChange" | "workers" | "card">;
  registry: WorkerRegistry;
  lifecycle: WorkerLifecycle;
  log: Logger;
  /** Pause between GetModelCard attempts. */
  retryMs?: number;
}

/**
 * Follows the worker directory (discovery service "worker", instance id = worker id,
 * meta.model = served model) into the router's registry: a new worker's model card is taken
 * from the directory (retrying while it stays listed), a worker gone from the live set is
 * forgotten with all its blocks (the directory closes its channel). Block-size mismatches are
 * logged loudly.
 */
export class WorkerWatch {
  private stopListening: (() => void) | undefined;
  private readonly known = new Map<WorkerId, string>();

  constructor(private readonly options: WorkerWatchOptions) {}

  /** Starts following the directory (its current set first). */
  start(): void {
    if (this.stopListening !== undefined) return;
    this.stopListening = this.options.directory.onChange((instances) => this.update(instances));
    this.update(this.options.directory.workers);
  }

  /** Stops following. */
  close(): void {
    this.stopListening?.();
    this.stopListening = undefined;
  }

  /** Applies one live set. */
  update(instances: readonly ServiceInstance[]): void {
    const { registry, log } = this.options;
    const live = new Map<WorkerId, { model: string; address: string; instance: ServiceInstance }>();
    for (const i of instances) if (i.meta.model) live.set(i.instanceId, { model: i.meta.model, address: dialAddress(i), instance: i });
    for (const [workerId, address] of this.known) {
      const now = live.get(workerId);
      if (now !== undefined && now.address === address) continue;
      this.forget(workerId);
    }
    for (const [workerId, w] of live) {
      if (this.known.has(workerId)) continue;
      this.known.set(workerId, w.address);
      registry.discovered({ workerId, model: w.model, address: w.address });
      log.info({ worker_id: workerId, model: w.model, address: w.address }, "worker discovered");
      void this.fetchCard(workerId, w.instance);
    }
  }

  private forget(workerId: WorkerId): void {
    const view = this.options.registry.get(workerId);
    this.known.delete(workerId);
    this.reportMismatches(this.options.registry.removed(workerId));
    this.options.log.info({ worker_id: workerId }, "worker gone: its blocks are dropped");
    this.options.lifecycle.gone(workerId, view?.model ?? "");
  }

  private async fetchCard(workerId: WorkerId, instance: ServiceInstance): Promise<void> {
    const { registry, directory, log } = this.options;
    const address = dialAddress(instance);
    for (let attempt = 0; this.known.get(workerId) === address; attempt++) {
      try {
        const card = await directory.card(instance);
        if (this.known.get(workerId) !== address) return;
        if (card.blockSize <= 0) throw new Error("model card without a block size");
        this.reportMismatches(registry.cardReceived(workerId, card.blockSize));
        const view = registry.get(workerId)!;
        log.info({ worker_id: workerId, model: view.model, block_size: card.blockSize, routable: view.routable }, "worker model card received");
        this.options.lifecycle.ready(view);
        return;
      } catch (err) {
        if (attempt % 10 === 0) log.warn({ worker_id: workerId, err: String(err) }, "GetModelCard failed; retrying");
        await new Promise((r) => setTimeout(r, this.options.retryMs ?? 200));
      }
    }
  }

  private reportMismatches(excluded: readonly WorkerView[]): void {
    for (const w of excluded) {
      this.options.log.error(
        { worker_id: w.workerId, model: w.model, block_size: w.blockSize, reason: w.exclusionReason },
        `WORKER EXCLUDED FROM ROUTING: ${w.exclusionReason}`,
      );
    }
  }
}
