import { InvalidArgumentError, ModelNotFoundError, NoWorkerError } from "#common/errors.js";
import type { ApproxIndexer } from "./indexer/approx-indexer.js";
import type { OverlapIndex, WorkerId } from "./indexer/types.js";
import { AdmissionQueue, allSaturated } from "./queue/admission-queue.js";
import type { QueueExit, QueueOrder, QueueTicket } from "./queue/admission-queue.js";
import { admitDecision, buildCandidates, routeRequestBlocks } from "./scheduling/route-plan.js";
import type { RouteRequestBlocks } from "./scheduling/route-plan.js";
import type { SelectionPolicy } from "./scheduling/policies.js";
import { suppliedRequestBlocks } from "./scheduling/supplied-hashes.js";
import type { SuppliedBlockHashes } from "./scheduling/supplied-hashes.js";
import type { RouteDecision, SelectionInput, WorkerSelector } from "./scheduling/selector.js";
import type { ReservationHook } from "./replicas/reservation-hook.js";
import type { ActiveSequences } from "./sequences/active-sequences.js";
import type { WorkerRegistry, WorkerView } from "./workers/worker-registry.js";

/** --router-mode. */
export type RouterMode = SelectionPolicy | "direct";

/** What a routing question carries. */
export interface RouteQuestion {
  readonly model: string;
  /** The prompt (Router.Route decodes it into a Uint32Array; Generate's is an array). */
  readonly tokenIds: ArrayLike<number>;
  /** Pin: choose this worker (honoured in every mode). */
  readonly pinnedWorkerId?: string;
  /** Workers that already failed this request (migration). */
  readonly excludeWorkerIds?: ReadonlySet<WorkerId>;
  /** The prompt's block hashes, when the caller computed them (the preprocessor does). */
  readonly blockHashes?: SuppliedBlockHashes;
}

/** A decision and what admitting it needs. */
export interface RoutePlan {
  readonly decision: RouteDecision;
  /** What the selector decided on (stateful policies learn it when the plan is admitted). */
  readonly input: SelectionInput;
  readonly request: RouteRequestBlocks;
  readonly model: string;
  readonly worker: WorkerView;
}

/** The parts a decider reads. */
export interface DeciderDeps {
  readonly mode: RouterMode;
  readonly registry: WorkerRegistry;
  /** The overlap index of a model (exact or approximate); undefined: nothing indexed yet. */
  readonly indexFor: (model: string) => OverlapIndex | undefined;
  /** `--kv-events none`: decisions feed this model's approximate index. */
  readonly approxFor?: (model: string) => ApproxIndexer;
  readonly sequences: ActiveSequences;
  readonly selector: WorkerSelector;
  readonly overlapWeight: number;
  readonly busyThreshold?: number;
  /** Told of every own decision's admission, first token and finish (replica sharing). */
  readonly reservations?: ReservationHook;
  /** Late binding (--router-queue-threshold); undefined: every request is decided on arrival. */
  readonly queue?: RouterQueueSettings;
}

/** The router queue's settings (README, Router queue). */
export interface RouterQueueSettings {
  /** A worker is saturated from this many uncached prompt tokens in flight (no first token yet). */
  readonly thresholdTokens: number;
  readonly maxLength: number;
  readonly maxWaitMs: number;
  /** Release order (--router-queue-order; default fifo). */
  readonly order?: QueueOrder;
  /** Milliseconds from the router's clock. */
  readonly now: () => number;
  readonly exited?: (exit: QueueExit, waitedMs: number) => void;
}

const EMPTY_INDEX: OverlapIndex = { findMatches: () => new Map(), blockCount: () => 0, removeWorker: () => {} };

/**
 * The deciding half of the router (Dynamo's KvRouter): which worker a request should go to,
 * and the bookkeeping of decisions being sent. It sends nothing; the forwarder does.
 */
export class Decider {
  private readonly queue?: AdmissionQueue;

  constructor(private readonly deps: DeciderDeps) {
    const settings = deps.queue;
    if (settings !== undefined) {
      this.queue = new AdmissionQueue({
        ...settings,
        saturated: (model) => allSaturated(deps.registry.routable(model).map((w) => deps.sequences.activePrefillTokens(w.workerId)), settings.thresholdTokens),
      });
    }
  }

  /** Requests the router queue holds now (0 without a queue). */
  get queueDepth(): number {
    return this.queue?.depth ?? 0;
  }

  /** The queue's max wait, ms (undefined without a queue). */
  get queueMaxWaitMs(): number | undefined {
    return this.deps.queue?.maxWaitMs;
  }

  /**
   * Late binding: hold a request while every worker of its model is saturated. Returns the
   * ticket when held (`dispatch` runs when its turn comes: decide it then), or undefined when
   * it should be decided now (no queue, a worker has room, or the queue is full). `promptTokens`
   * orders a shortest-first queue.
   */
  hold(model: string, dispatch: QueueTicket["dispatch"], promptTokens = 0): QueueTicket | undefined {
    return this.queue?.offer(model, dispatch, promptTokens);
  }

  /** The held request's client went away: it leaves the queue. */
  cancelHeld(ticket: QueueTicket): void {
    this.queue?.cancel(ticket);
  }

  /** Decide (dispatch) held requests whose max wait is over. */
  expireHeld(): void {
    this.queue?.expire();
  }

  /**
   * Decide, without side effects (Router.Route is exactly this). Throws ModelNotFoundError for
   * an unknown model, NoWorkerError when none is routable, OverloadedError when all are busy,
   * InvalidArgumentError in direct mode without a pin or for supplied block hashes that do not
   * fit the prompt.
   */
  plan(question: RouteQuestion): RoutePlan {
    const { registry, mode } = this.deps;
    if (question.tokenIds.length === 0) throw new InvalidArgumentError("token_ids must not be empty", { param: "token_ids" });
    if (mode === "direct" && question.pinnedWorkerId === undefined) {
      throw new InvalidArgumentError("router mode direct needs worker_id on every request", { param: "worker_id" });
    }
    if (!registry.isKnownModel(question.model)) throw new ModelNotFoundError(`model "${question.model}" is not served by any worker`, { param: "model" });
    const blockSize = registry.blockSize(question.model);
    if (blockSize === undefined) return this.planBlocks(question, undefined);
    // Hashes the caller supplied (the preprocessor's) spare hashing the prompt again.
    const request = suppliedRequestBlocks(question.tokenIds.length, blockSize, question.blockHashes) ?? routeRequestBlocks(question.tokenIds, blockSize);
    return this.planBlocks(question, request);
  }

  /**
   * {@link plan} for a request already hashed (`request` undefined: the model has no block
   * size yet). Peer replicas' decision samples are re-decided through it; it has no side effects.
   */
  planBlocks(question: Omit<RouteQuestion, "tokenIds">, request: RouteRequestBlocks | undefined): RoutePlan {
    const { registry } = this.deps;
    // A pin names its worker: an unreachable mark (a hint from other requests' calls) does not overrule it.
    const pool = question.pinnedWorkerId === undefined ? registry.routable(question.model) : registry.list(question.model).filter((w) => w.routable || w.unreachable);
    const excluded = question.excludeWorkerIds;
    // Copied only to exclude: the registry's list is shared (read-only) between decisions.
    const workers = excluded === undefined || excluded.size === 0 ? pool : pool.filter((w) => !excluded.has(w.workerId));
    if (request === undefined || workers.length === 0) throw new NoWorkerError(`no routable worker for model "${question.model}"`);
    const { blockSize } = request;
    const index = this.deps.indexFor(question.model) ?? EMPTY_INDEX;
    const candidates = buildCandidates(workers, request, index, this.deps.sequences, this.deps.busyThreshold);
    const input: SelectionInput = {
      isl: request.isl,
      blockSize,
      overlapWeight: this.deps.overlapWeight,
      requestBlocks: request.requestBlocks,
      candidates,
      pinnedWorkerId: question.pinnedWorkerId,
      sequenceHashes: request.hashes.sequence,
    };
    const decision = this.deps.selector.selectWorker(input);
    return { decision, input, request, model: question.model, worker: workers.find((w) => w.workerId === decision.workerId)! };
  }

  /** The plan is being sent: account its load (and, without events, its assumed cache). */
  admit(requestId: string, plan: RoutePlan): void {
    admitDecision(this.deps.sequences, requestId, plan.request, plan.decision);
    this.deps.selector.admitted(plan.input, plan.decision.workerId, requestId);
    this.deps.approxFor?.(plan.model).record(plan.decision.workerId, plan.request.hashes);
    this.deps.reservations?.admitted(requestId, plan);
  }

  /** The first token came back: its prefill is done. */
  firstToken(requestId: string): void {
    this.deps.sequences.markFirstToken(requestId);
    this.deps.selector.firstToken(requestId);
    this.deps.reservations?.firstToken(requestId);
    this.queue?.release();
  }

  /** A token came back: the request is alive. */
  touch(requestId: string): void {
    this.deps.sequences.touch(requestId);
  }

  /**
   * A worker became routable or left: held requests are asked again (a new worker has room;
   * with none left they are decided and fail as such), without waiting for a first token.
   */
  workersChanged(): void {
    this.queue?.release();
  }

  /** A call to the worker failed as unreachable: new requests avoid it for a while. */
  workerUnreachable(workerId: WorkerId): void {
    this.deps.registry.markUnreachable(workerId);
  }

  /** The worker answered: routable again. */
  workerReachable(workerId: WorkerId): void {
    this.deps.registry.markReachable(workerId);
  }

  /** The stream ended, failed or was cancelled: free its load. */
  finish(requestId: string): void {
    this.deps.sequences.free(requestId);
    this.deps.selector.finished(requestId);
    this.deps.reservations?.finished(requestId);
    this.queue?.release();
  }
}
