/**
 * The preprocessor's model assets (tokenizer, chat template, defaults) per served model, built
 * from the model cards of common's worker directory (which watches discovery and fetches each
 * worker's card once). A model's assets are built once and reused while its worker set stays
 * the same; when the set changes the card of its first reachable worker is taken again (and the
 * assets rebuilt only if the card differs). No worker for a model → ModelNotFoundError.
 */
import type { ServiceInstance } from "#common/discovery/index.js";
import type { WorkerDirectory } from "#common/directory/worker-directory.js";
import { KvmeshError, ModelNotFoundError, NoWorkerError } from "#common/errors.js";
import type { Logger } from "#common/logger.js";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import type { ModelAssets } from "../model-assets.js";

/** Options of {@link ModelAssetsCatalog}. */
export interface ModelAssetsCatalogOptions {
  directory: Pick<WorkerDirectory, "whenReady" | "workersOf" | "card">;
  build: (card: ModelCard) => ModelAssets;
  log: Pick<Logger, "info" | "warn">;
  /** Longest a request waits for discovery's first list of workers (default FIRST_ANSWER_WAIT_MS); then UNAVAILABLE. */
  discoveryWaitMs?: number;
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

/** Two cards with the same fingerprint give the same assets. */
function fingerprint(card: ModelCard): string {
  return JSON.stringify([card.name, card.contextLength, card.eosTokenIds, card.tokenizerJson, card.tokenizerConfigJson, card.generationConfigJson, card.chatTemplate ?? null]);
}

/** The assets of every model some worker serves. */
export class ModelAssetsCatalog {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ModelAssetsCatalogOptions) {}

  /** The assets of `model`; ModelNotFoundError when no live worker serves it. */
  async get(model: string): Promise<ModelAssets> {
    await this.options.directory.whenReady(this.options.discoveryWaitMs);
    const workers = this.options.directory.workersOf(model);
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
        const card = await this.options.directory.card(worker);
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
