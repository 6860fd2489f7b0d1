/**
 * Model cards per served model, from the workers in discovery (service "worker", meta.model =
 * served model name). A model's assets are built once and reused while its worker set stays
 * the same; when the set changes the card is fetched again (and the assets rebuilt only if the
 * card differs). No worker for a model → ModelNotFoundError.
 */
import { KvmeshError, ModelNotFoundError, NoWorkerError } from "#common/errors.js";
import type { Discovery, ServiceInstance, Watch } from "#common/discovery/index.js";
import type { Logger } from "#common/logger.js";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import type { ModelAssets } from "../model-assets.js";

/** Fetches the card a worker instance serves. */
export type CardFetcher = (worker: ServiceInstance) => Promise<ModelCard>;

/** Options of {@link ModelCatalog}. */
export interface ModelCatalogOptions {
  discovery: Pick<Discovery, "list" | "watch">;
  fetchCard: CardFetcher;
  build: (card: ModelCard) => ModelAssets;
  log: Pick<Logger, "info" | "warn">;
}

interface Built {
  fingerprint: string;
  assets: ModelAssets;
}

interface Entry {
  /** The worker set the assets were fetched for. */
  workersKey: string;
  assets: Promise<Built>;
}

const WORKER_SERVICE = "worker";

/** Two cards with the same fingerprint give the same assets. */
function fingerprint(card: ModelCard): string {
  return JSON.stringify([card.name, card.contextLength, card.eosTokenIds, card.tokenizerJson, card.tokenizerConfigJson, card.generationConfigJson, card.chatTemplate ?? null]);
}

/** The assets of every model some worker serves. */
export class ModelCatalog {
  private workers: ServiceInstance[] | undefined;
  private watch: Watch | undefined;
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ModelCatalogOptions) {}

  /** Follows the worker set (call once; `get` works before the first snapshot too). */
  start(): void {
    this.watch ??= this.options.discovery.watch(WORKER_SERVICE, (instances) => {
      this.workers = instances;
    });
  }

  /** Stops following discovery. */
  close(): void {
    this.watch?.close();
    this.watch = undefined;
  }

  /** The live workers of `model`, sorted by instance id. */
  async workersOf(model: string): Promise<ServiceInstance[]> {
    const all = this.workers ?? (await this.options.discovery.list(WORKER_SERVICE));
    return all.filter((w) => w.meta.model === model);
  }

  /** The assets of `model`; ModelNotFoundError when no live worker serves it. */
  async get(model: string): Promise<ModelAssets> {
    const workers = await this.workersOf(model);
    if (workers.length === 0) throw new ModelNotFoundError(`the model "${model}" does not exist: no worker serves it`, { param: "model" });
    const workersKey = workers.map((w) => w.instanceId).join(",");
    const entry = this.entries.get(model);
    if (entry?.workersKey === workersKey) return (await entry.assets).assets;
    const previous = entry?.assets.catch(() => undefined);
    const fresh: Entry = { workersKey, assets: this.load(model, workers, previous) };
    this.entries.set(model, fresh);
    // A failed fetch is not cached: the next request tries again.
    fresh.assets.catch(() => this.entries.get(model) === fresh && this.entries.delete(model));
    return (await fresh.assets).assets;
  }

  private async load(model: string, workers: ServiceInstance[], previous: Promise<Built | undefined> | undefined): Promise<Built> {
    let lastError: unknown;
    for (const worker of workers) {
      try {
        const card = await this.options.fetchCard(worker);
        const print = fingerprint(card);
        const old = await previous;
        if (old?.fingerprint === print) return old;
        this.options.log.info({ model, worker: worker.instanceId, context_length: card.contextLength }, "model card loaded");
        return { fingerprint: print, assets: this.options.build(card) };
      } catch (err) {
        lastError = err;
        this.options.log.warn({ model, worker: worker.instanceId, err: String(err) }, "model card fetch failed");
      }
    }
    // A card that cannot be used (no tokenizer.json...) says so; an unreachable worker is UNAVAILABLE.
    throw lastError instanceof KvmeshError
      ? lastError
      : new NoWorkerError(`could not get the model card of "${model}" from any of its ${workers.length} worker(s)`, { cause: lastError });
  }
}
