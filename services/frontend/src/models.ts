/**
 * The served models, as common's worker directory says: a model is listed while at least one
 * worker serving it is registered, and disappears when the last one leaves (workers put `model`
 * and `context_length` in their discovery meta, so listing needs no call to any worker).
 */
import type { WorkerDirectory } from "#common/directory/worker-directory.js";
import type { Discovery, ServiceInstance, Watch } from "#common/discovery/index.js";

/** One served model. */
export interface ServedModel {
  readonly id: string;
  readonly instances: number;
  readonly contextLength: number;
  /** Seconds since 1970 when this frontend first saw it (OpenAI's `created`). */
  readonly created: number;
}

/** Groups the directory's workers by model, and counts the live routers for /health. */
export class ServedModels {
  private models = new Map<string, ServedModel>();
  private readonly firstSeen = new Map<string, number>();
  private readonly stopListening: () => void;
  private readonly routersWatch: Watch;
  private routers = 0;

  constructor(
    private readonly directory: Pick<WorkerDirectory, "onChange" | "workers">,
    discovery: Pick<Discovery, "watch">,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.stopListening = directory.onChange((workers) => this.update(workers));
    this.update(directory.workers);
    this.routersWatch = discovery.watch("router", (routers) => (this.routers = routers.length));
  }

  /** Every served model, sorted by id. */
  list(): ServedModel[] {
    return [...this.models.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** One model, or undefined. */
  get(id: string): ServedModel | undefined {
    return this.models.get(id);
  }

  /** Live router replicas. */
  get routerCount(): number {
    return this.routers;
  }

  /** Stops following the directory and discovery. */
  close(): void {
    this.stopListening();
    this.routersWatch.close();
  }

  private update(workers: readonly ServiceInstance[]): void {
    const next = new Map<string, ServedModel>();
    for (const worker of workers) {
      const id = worker.meta.model;
      if (!id) continue;
      if (!this.firstSeen.has(id)) this.firstSeen.set(id, Math.floor(this.now() / 1000));
      const known = next.get(id);
      const contextLength = Number(worker.meta.context_length ?? 0);
      next.set(id, { id, instances: (known?.instances ?? 0) + 1, contextLength: Math.max(known?.contextLength ?? 0, contextLength), created: this.firstSeen.get(id)! });
    }
    this.models = next;
  }
}
