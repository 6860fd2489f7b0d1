/**
 * Model cards by worker: fetched once per worker registration (instance id, address and served
 * model), shared by every caller while the fetch runs, kept while the worker stays listed. A
 * failed fetch is not kept, so the next caller tries again.
 */
import { dialAddress } from "../discovery/address.js";
import type { ServiceInstance } from "../discovery/types.js";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";

/** What identifies one registration's card: a worker that re-registers elsewhere or with another model is fetched again. */
function registrationKey(worker: Pick<ServiceInstance, "address" | "port" | "meta">): string {
  return `${dialAddress(worker)}|${worker.meta.model ?? ""}`;
}

/** The card cache of a {@link WorkerDirectory}. */
export class CardCache {
  private readonly cards = new Map<string, { key: string; card: Promise<ModelCard> }>();

  /** The worker's card: the cached one, or `fetch()`'s (at most one fetch in flight per worker). */
  get(worker: ServiceInstance, fetch: () => Promise<ModelCard>): Promise<ModelCard> {
    const key = registrationKey(worker);
    const held = this.cards.get(worker.instanceId);
    if (held !== undefined && held.key === key) return held.card;
    const entry = { key, card: fetch() };
    this.cards.set(worker.instanceId, entry);
    entry.card.catch(() => this.cards.get(worker.instanceId) === entry && this.cards.delete(worker.instanceId));
    return entry.card;
  }

  /** Forgets the cards of workers not in `live`, or listed under another registration. */
  retain(live: readonly ServiceInstance[]): void {
    const keys = new Map(live.map((w) => [w.instanceId, registrationKey(w)]));
    for (const [id, entry] of [...this.cards]) if (keys.get(id) !== entry.key) this.cards.delete(id);
  }

  /** Cards held or in flight (for tests and debugging). */
  get size(): number {
    return this.cards.size;
  }
}
