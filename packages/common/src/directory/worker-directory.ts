/**
 * The one worker directory every service uses (frontend, preprocessor, router): the live
 * workers of each served model as discovery lists them (service "worker", instance id = worker
 * id, meta.model = served model name), one gRPC client per worker, and each worker's model card
 * fetched once (Worker.GetModelCard). Discovery is the source of truth for which models exist,
 * as in Dynamo, where the frontend watches the model deployment cards in its discovery store.
 */
import { Metadata } from "@grpc/grpc-js";
import { ClientCache } from "../client-cache.js";
import type { Discovery, ServiceInstance, Watch } from "../discovery/index.js";
import { FirstAnswer } from "../discovery/first-answer.js";
import { deadlineIn } from "../grpc-client.js";
import type { ClientConstructor } from "../grpc-client.js";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import { CardCache } from "./card-cache.js";

/** Discovery service name of workers. */
export const WORKER_SERVICE = "worker";

/** Fetches one worker's card over its client. */
export type CardFetch = (worker: ServiceInstance, client: WorkerClient) => Promise<ModelCard>;

/** Options of {@link WorkerDirectory}. */
export interface WorkerDirectoryOptions {
  readonly discovery: Pick<Discovery, "watch">;
  /** Deadline of one GetModelCard call (default 5 s). */
  readonly cardTimeoutMs?: number;
  /** The client class (default the generated WorkerClient; tests count closes). */
  readonly clientClass?: ClientConstructor<WorkerClient>;
  /** How a card is fetched (default Worker.GetModelCard; tests replace it). */
  readonly fetchCard?: CardFetch;
}

/** Called with the live workers after every change (clients and cards of departed workers already released). */
export type WorkersListener = (workers: readonly ServiceInstance[]) => void;

/** The live workers, their clients and their model cards. No I/O until {@link start}. */
export class WorkerDirectory {
  /** One channel per worker, closed when the worker leaves discovery. */
  readonly clients: ClientCache<WorkerClient>;
  private readonly cards = new CardCache();
  private live: readonly ServiceInstance[] = [];
  private watch: Watch | undefined;
  private readonly listeners = new Set<WorkersListener>();
  private readonly firstAnswer = new FirstAnswer("the workers");

  constructor(private readonly options: WorkerDirectoryOptions) {
    this.clients = new ClientCache(options.clientClass ?? WorkerClient);
  }

  /** Starts following discovery (idempotent). */
  start(): void {
    this.watch ??= this.options.discovery.watch(WORKER_SERVICE, (instances) => this.update(instances));
  }

  /**
   * Resolves once discovery's first list arrived; rejects with NoWorkerError (UNAVAILABLE) when
   * it has not within `timeoutMs` (default FIRST_ANSWER_WAIT_MS), so a request fails at once
   * with a clear error rather than waiting to its own deadline on a discovery that is down.
   */
  whenReady(timeoutMs?: number): Promise<void> {
    return this.firstAnswer.wait(timeoutMs);
  }

  /** Every live worker that serves a model, sorted by worker id. */
  get workers(): readonly ServiceInstance[] {
    return this.live;
  }

  /** The live workers of `model`, sorted by worker id. */
  workersOf(model: string): ServiceInstance[] {
    return this.live.filter((w) => w.meta.model === model);
  }

  /** Served model names, sorted. */
  models(): string[] {
    return [...new Set(this.live.map((w) => w.meta.model))].sort();
  }

  /** Adds a listener of every new live set; the returned function removes it. */
  onChange(listener: WorkersListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The worker's client (made on first use, kept while it stays listed). */
  clientOf(worker: Pick<ServiceInstance, "instanceId" | "address" | "port">): WorkerClient {
    return this.clients.of(worker);
  }

  /** The worker's model card, fetched once per registration; a failed fetch is retried by the next call. */
  card(worker: ServiceInstance): Promise<ModelCard> {
    const fetch = this.options.fetchCard ?? ((w, client) => getModelCard(w, client, this.options.cardTimeoutMs ?? 5000));
    return this.cards.get(worker, () => fetch(worker, this.clientOf(worker)));
  }

  /** Stops following discovery and closes every client. */
  close(): void {
    this.watch?.close();
    this.watch = undefined;
    this.clients.closeAll();
  }

  private update(instances: readonly ServiceInstance[]): void {
    this.live = instances.filter((i) => i.meta.model !== undefined && i.meta.model !== "");
    this.clients.retain(this.live);
    this.cards.retain(this.live);
    this.firstAnswer.arrived();
    for (const listener of [...this.listeners]) listener(this.live);
  }
}

/** Worker.GetModelCard with a deadline. */
function getModelCard(worker: ServiceInstance, client: WorkerClient, timeoutMs: number): Promise<ModelCard> {
  return new Promise((resolve, reject) => {
    client.getModelCard({}, new Metadata(), { deadline: deadlineIn(timeoutMs) }, (err, response) => {
      if (err) return reject(err);
      if (!response?.card) return reject(new Error(`worker ${worker.instanceId} returned no model card`));
      resolve(response.card);
    });
  });
}
