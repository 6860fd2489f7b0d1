import type { WorkerId } from "../indexer/types.js";

/** A worker's last load report, as the registry keeps it (mirrors WorkerLoad). */
export interface WorkerLoadData {
  readonly blocksActive: number;
  readonly blocksCachedFree: number;
  readonly blocksTotal: number;
  readonly running: number;
  readonly waiting: number;
  readonly epoch: bigint;
  readonly lastEventId: bigint;
}

/** A worker as discovery lists it. */
export interface DiscoveredWorker {
  readonly workerId: WorkerId;
  /** Served model name (discovery meta `model`). */
  readonly model: string;
  /** `host:port` to dial. */
  readonly address: string;
}

/**
 * How long a worker whose call failed as unreachable stays out of routing, unless a load report
 * comes first: the default discovery TTL, the longest a dead worker can stay listed.
 */
export const UNREACHABLE_HOLD_MS = 10_000;

/** One worker as ListWorkers shows it. */
export interface WorkerView extends DiscoveredWorker {
  /** 0 until its model card arrived. */
  readonly blockSize: number;
  readonly routable: boolean;
  /** A call to it failed as unreachable within the hold (it counts as not routable). */
  readonly unreachable: boolean;
  /** Empty when routable. */
  readonly exclusionReason: string;
  readonly load?: WorkerLoadData;
}

interface Entry extends DiscoveredWorker {
  /** Discovery order: the earliest live worker of a model sets its block size. */
  readonly seenSeq: number;
  blockSize?: number;
  load?: WorkerLoadData;
  /** When a call to it last failed as unreachable (cleared by a sign of life). */
  unreachableAt?: number;
}

/** The block-size verdict of one model. */
interface ModelRule {
  readonly blockSize?: number;
  readonly setBy?: WorkerId;
}

/** One model's views as of registry version `version` (see WorkerRegistry.cached). */
interface ModelViews {
  readonly version: number;
  readonly rule: ModelRule;
  readonly all: readonly WorkerView[];
  readonly routable: readonly WorkerView[];
}

/**
 * The workers of every model as discovery and their model cards describe them, and the
 * block-size rule (ARCHITECTURE.md): the first live worker of a model (discovery order, with
 * its card in) sets the model's block size; a worker that disagrees is excluded from routing.
 * A worker whose call failed as unreachable (SIGKILLed, host gone) is also left out until it
 * reports load again or the hold passes, so new requests stop trying it while discovery still
 * lists it (up to its TTL). Plain data: the discovery watch, event feeds and forwarder drive it.
 */
export class WorkerRegistry {
  private readonly workers = new Map<WorkerId, Entry>();
  private seq = 0;
  /** Mismatches already reported, so the loud log line is written once per worker. */
  private readonly reported = new Set<WorkerId>();
  /**
   * Bumped by every change a view shows, except load reports (which replace the cached view
   * of their worker): a route reads the model's views from the cache while the version holds.
   * Building 64 views, their reasons and a sorted list on every decision was a fifth of a
   * route's garbage (bench:router).
   */
  private version = 0;
  private readonly cache = new Map<string, ModelViews>();

  /** `now` in milliseconds (default performance.now). */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly unreachableHoldMs = UNREACHABLE_HOLD_MS,
  ) {}

  /** A worker appeared in discovery; false when it was known already. */
  discovered(worker: DiscoveredWorker): boolean {
    if (this.workers.has(worker.workerId)) return false;
    this.workers.set(worker.workerId, { ...worker, seenSeq: this.seq++ });
    this.version++;
    return true;
  }

  /** Its model card arrived. Returns the workers newly excluded for a block-size mismatch. */
  cardReceived(workerId: WorkerId, blockSize: number): WorkerView[] {
    const entry = this.workers.get(workerId);
    if (entry === undefined) return [];
    entry.blockSize = blockSize;
    this.version++;
    return this.newMismatches(entry.model);
  }

  /** It left discovery. Returns the workers newly excluded (a new setter may disagree with them). */
  removed(workerId: WorkerId): WorkerView[] {
    const entry = this.workers.get(workerId);
    if (entry === undefined) return [];
    this.workers.delete(workerId);
    this.reported.delete(workerId);
    this.version++;
    return this.newMismatches(entry.model);
  }

  /** Its latest load report (ignored for unknown workers); a report is a sign of life. */
  setLoad(workerId: WorkerId, load: WorkerLoadData): void {
    const entry = this.workers.get(workerId);
    if (entry === undefined) return;
    entry.load = load;
    if (entry.unreachableAt !== undefined) {
      entry.unreachableAt = undefined;
      this.version++;
    } else {
      this.refreshCachedView(entry);
    }
  }

  /** A call to it failed as unreachable: leave it out of routing for the hold. */
  markUnreachable(workerId: WorkerId): void {
    const entry = this.workers.get(workerId);
    if (entry === undefined) return;
    entry.unreachableAt = this.now();
    this.version++;
  }

  /** It answered (a stream message): routable again at once. */
  markReachable(workerId: WorkerId): void {
    const entry = this.workers.get(workerId);
    if (entry !== undefined && entry.unreachableAt !== undefined) {
      entry.unreachableAt = undefined;
      this.version++;
    }
  }

  /** The worker, when discovery lists it. */
  get(workerId: WorkerId): WorkerView | undefined {
    const entry = this.workers.get(workerId);
    return entry === undefined ? undefined : this.view(entry, this.rule(entry.model));
  }

  /** Whether any worker (routable or not) serves the model. */
  isKnownModel(model: string): boolean {
    for (const w of this.workers.values()) if (w.model === model) return true;
    return false;
  }

  /** The model's block size, once a worker set it. */
  blockSize(model: string): number | undefined {
    return (this.cached(model)?.rule ?? this.rule(model)).blockSize;
  }

  /**
   * The model's routable workers, sorted by worker id. When every worker that could serve is
   * marked unreachable those are returned instead: a mark is a hint, and one may be back.
   * The array may be shared with other callers until the registry changes: do not modify it.
   */
  routable(model: string): readonly WorkerView[] {
    const cached = this.cached(model);
    if (cached !== undefined) return cached.routable;
    return this.routableOf(this.list(model));
  }

  private routableOf(all: readonly WorkerView[]): readonly WorkerView[] {
    const routable = all.filter((w) => w.routable);
    return routable.length > 0 ? routable : all.filter((w) => w.unreachable);
  }

  /** Every worker (of `model`, when given), sorted by worker id; shared like {@link routable}'s. */
  list(model?: string): readonly WorkerView[] {
    if (model !== undefined && model !== "") {
      const cached = this.cached(model);
      if (cached !== undefined) return cached.all;
    }
    const rules = new Map<string, ModelRule>();
    const views: WorkerView[] = [];
    for (const entry of this.workers.values()) {
      if (model !== undefined && model !== "" && entry.model !== model) continue;
      let rule = rules.get(entry.model);
      if (rule === undefined) rules.set(entry.model, (rule = this.rule(entry.model)));
      views.push(this.view(entry, rule));
    }
    return views.sort((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0));
  }

  /** Served model names, sorted. */
  models(): string[] {
    return [...new Set([...this.workers.values()].map((w) => w.model))].sort();
  }

  /**
   * The model's views from the cache, rebuilt when the registry changed since; undefined (do
   * not cache) while one of its workers carries an unreachable mark, whose view changes with
   * the clock when the hold runs out.
   */
  private cached(model: string): ModelViews | undefined {
    const hit = this.cache.get(model);
    if (hit !== undefined && hit.version === this.version) return hit;
    if (hit !== undefined) this.cache.delete(model);
    for (const w of this.workers.values()) if (w.model === model && w.unreachableAt !== undefined) return undefined;
    const rule = this.rule(model);
    const all: WorkerView[] = [];
    for (const entry of this.workers.values()) if (entry.model === model) all.push(this.view(entry, rule));
    all.sort((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0));
    const views = { version: this.version, rule, all, routable: this.routableOf(all) };
    // A model nobody serves (a client's typo) is not kept: the cache holds served models only.
    if (all.length > 0) this.cache.set(model, views);
    return views;
  }

  /** A load report: its worker's cached view (in both lists) is replaced by one with the new load. */
  private refreshCachedView(entry: Entry): void {
    const views = this.cache.get(entry.model);
    if (views === undefined || views.version !== this.version) return;
    const view = this.view(entry, views.rule);
    for (const list of [views.all, views.routable] as WorkerView[][]) {
      const at = list.findIndex((w) => w.workerId === entry.workerId);
      if (at >= 0) list[at] = view;
    }
  }

  private rule(model: string): ModelRule {
    let setter: Entry | undefined;
    for (const w of this.workers.values()) {
      if (w.model === model && w.blockSize !== undefined && (setter === undefined || w.seenSeq < setter.seenSeq)) setter = w;
    }
    return { blockSize: setter?.blockSize, setBy: setter?.workerId };
  }

  private view(entry: Entry, rule: ModelRule): WorkerView {
    const reason =
      entry.blockSize === undefined ? "waiting for its model card"
      : entry.blockSize !== rule.blockSize ? `block size ${entry.blockSize} differs from the model's ${rule.blockSize} (set by worker ${rule.setBy})`
      : "";
    const age = entry.unreachableAt === undefined ? Infinity : this.now() - entry.unreachableAt;
    const unreachable = reason === "" && age < this.unreachableHoldMs;
    const exclusionReason = unreachable
      ? `unreachable: a call failed ${Math.round(age)} ms ago (tried again at its next load report, or after ${this.unreachableHoldMs} ms)`
      : reason;
    return {
      workerId: entry.workerId,
      model: entry.model,
      address: entry.address,
      blockSize: entry.blockSize ?? 0,
      routable: exclusionReason === "",
      unreachable,
      exclusionReason,
      load: entry.load,
    };
  }

  private newMismatches(model: string): WorkerView[] {
    const fresh: WorkerView[] = [];
    for (const view of this.list(model)) {
      const mismatched = view.blockSize !== 0 && !view.routable && !view.unreachable;
      if (mismatched && !this.reported.has(view.workerId)) {
        this.reported.add(view.workerId);
        fresh.push(view);
      } else if (!mismatched) {
        this.reported.delete(view.workerId);
      }
    }
    return fresh;
  }
}
