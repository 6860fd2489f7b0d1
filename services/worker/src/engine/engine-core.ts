/**
 * EngineCore: scheduler + KV cache manager + runner. Requests stream their tokens to a sink;
 * one step loop runs while there is work (schedule → one runner.execute for every row →
 * sample → updateFromOutput) and stops when idle.
 */
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";
import { InternalError, NoWorkerError } from "#common/errors.js";
import type { ModelRunner } from "../runners/model-runner.js";
import { BlockPool } from "./block-pool.js";
import type { EngineCounters, EngineHooks, EngineLoad, EngineRequestParams, EngineSink } from "./engine-types.js";
import { runStep } from "./engine-step.js";
import { KvCacheManager } from "./kv-cache-manager.js";
import { KvEventRecorder } from "./kv-events.js";
import { createRequest } from "./request-factory.js";
import type { EngineRequest } from "./request.js";
import { Scheduler } from "./scheduler.js";
import { usageOf } from "./usage.js";

/** Options of an EngineCore. */
export interface EngineCoreOptions {
  readonly runner: ModelRunner;
  readonly maxNumSeqs: number;
  readonly maxBatchedTokens: number;
  readonly maxWaiting: number;
  /** The model's context length; the engine also caps sequences at the pool's capacity. */
  readonly contextLength: number;
  /** The model's end-of-sequence ids. */
  readonly eosTokenIds: readonly number[];
  readonly hooks?: EngineHooks;
  /** Clock in ms for step timings (default performance.now). */
  readonly now?: () => number;
  /** Lets I/O run between steps (default setImmediate), so a 0-delay runner cannot starve it. */
  readonly yieldToEventLoop?: () => Promise<void>;
}

/** The engine of one worker. */
export class EngineCore {
  /** The KV event log of this process (subscribe for NATS / StreamKvEvents). */
  readonly events = new KvEventRecorder();
  /** Cumulative counters for metrics. */
  readonly counters: EngineCounters = {
    steps: 0, prefillTokensComputed: 0, promptTokens: 0, cachedPromptTokens: 0,
    generatedTokens: 0, preemptions: 0, finishedRequests: 0,
  };
  readonly kv: KvCacheManager;
  readonly scheduler: Scheduler;
  /** Longest sequence the engine runs: min(context length, blocks × block size). */
  readonly maxModelLen: number;
  private readonly requests = new Map<string, { request: EngineRequest; sink: EngineSink }>();
  private arrivals = 0;
  private loop: Promise<void> | undefined;
  private looping = false;
  private closed = false;

  constructor(private readonly options: EngineCoreOptions) {
    const { runner } = options;
    for (const key of ["maxNumSeqs", "maxBatchedTokens", "maxWaiting", "contextLength"] as const) {
      if (!(Number.isInteger(options[key]) && options[key] > 0)) throw new RangeError(`${key} must be a positive integer, got ${options[key]}`);
    }
    this.kv = new KvCacheManager(new BlockPool(runner.numBlocks, this.events), runner.blockSize, this.events);
    this.maxModelLen = Math.min(options.contextLength, runner.numBlocks * runner.blockSize);
    this.scheduler = new Scheduler({ ...options, maxModelLen: this.maxModelLen }, this.kv);
  }

  /**
   * Admits a request; its outputs go to `sink` from the step loop. Throws synchronously:
   * InvalidArgumentError (bad parameters, duplicate id), ContextLengthError (input too long),
   * OverloadedError (waiting queue full).
   */
  addRequest(params: EngineRequestParams, sink: EngineSink): void {
    // UNAVAILABLE: the caller may retry on another worker (nothing was streamed yet).
    if (this.closed) throw new NoWorkerError("worker is shutting down");
    const request = createRequest(params, {
      blockSize: this.options.runner.blockSize,
      vocabSize: this.options.runner.vocabSize,
      maxModelLen: this.maxModelLen,
      inFlight: (id) => this.requests.has(id),
      arrival: this.arrivals + 1,
    });
    this.scheduler.add(request);
    this.arrivals++;
    this.requests.set(request.requestId, { request, sink });
    this.kick();
  }

  /** Cancels a request at once (blocks freed); its sink gets a final CANCELLED output. False if unknown. */
  abort(requestId: string): boolean {
    const entry = this.requests.get(requestId);
    if (entry === undefined) return false;
    const { request, sink } = entry;
    this.scheduler.finish(request, FinishReason.FINISH_REASON_CANCELLED);
    const usage = usageOf(request);
    this.retire(request);
    const index = request.nextOutputIndex;
    safeCall(() => sink.onOutput({ requestId, tokenIds: [], index, logprobs: undefined, finishReason: request.finishReason, usage }));
    return true;
  }

  /** Load as WorkerLoad reports it. */
  load(): EngineLoad {
    const counts = this.kv.pool.counts();
    return {
      blocksActive: counts.active,
      blocksCachedFree: counts.cachedFree,
      blocksTotal: counts.total,
      running: this.scheduler.running.length,
      waiting: this.scheduler.waiting.length,
    };
  }

  /**
   * Stored events (event id 0) that rebuild the current cache, parents first. The id they are
   * current to is the event ring's (the one owner of ids), read by the caller after a flush.
   */
  dumpState(): { events: KvEvent[] } {
    const events: KvEvent[] = this.kv.dumpStored().map(({ parent, block }) => ({
      eventId: 0n,
      data: { $case: "stored", stored: parent === undefined ? { blocks: [block] } : { parentSequenceHash: parent, blocks: [block] } },
    }));
    return { events };
  }

  /** Drops the prefix cache (a "cleared" event; blocks of running sequences are re-announced). */
  clearKvCache(): void {
    this.kv.reset();
  }

  /** Resolves when the step loop is idle. */
  async idle(): Promise<void> {
    while (this.loop !== undefined) await this.loop;
  }

  /** Cancels every request and waits for the loop to stop; the runner stays open (its owner closes it). */
  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.requests.keys()]) this.abort(id);
    await this.idle();
  }

  private kick(): void {
    if (this.looping) return;
    this.looping = true;
    const loop = this.runLoop();
    this.loop = loop;
    void loop.finally(() => {
      if (this.loop === loop) this.loop = undefined;
    });
  }

  private async runLoop(): Promise<void> {
    const pause = this.options.yieldToEventLoop ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    // Start on a microtask, so requests added in the same tick share the first step.
    await Promise.resolve();
    try {
      while (this.scheduler.hasWork) {
        try {
          await runStep(this.stepContext());
        } catch (err) {
          // A bug, not a runner failure (runStep handles those): fail everything rather than spin.
          this.failAll(err);
        }
        await pause();
      }
    } finally {
      // Cleared in the same tick as the last hasWork check, so a request added later starts a new loop.
      this.looping = false;
    }
  }

  private stepContext(): Parameters<typeof runStep>[0] {
    return {
      scheduler: this.scheduler,
      kv: this.kv,
      runner: this.options.runner,
      eosTokenIds: this.options.eosTokenIds,
      counters: this.counters,
      hooks: this.options.hooks ?? {},
      now: this.options.now ?? (() => performance.now()),
      sinkOf: (id) => this.requests.get(id)?.sink,
      retire: (request) => this.retire(request),
      failed: (request, error) => this.failed(request, error),
    };
  }

  /** Forgets a finished request (its final output was sent) and reports it to the hooks. */
  private retire(request: EngineRequest): void {
    const entry = this.requests.get(request.requestId);
    if (entry === undefined || entry.request !== request) return;
    this.requests.delete(request.requestId);
    this.counters.finishedRequests++;
    safeCall(() => this.options.hooks?.onFinished?.(request.requestId, request.finishReason as FinishReason, usageOf(request)));
  }

  private failed(request: EngineRequest, error: Error): void {
    const entry = this.requests.get(request.requestId);
    if (entry === undefined) return;
    this.scheduler.finish(request, FinishReason.FINISH_REASON_CANCELLED);
    this.requests.delete(request.requestId);
    safeCall(() => entry.sink.onError(error));
  }

  private failAll(err: unknown): void {
    const error = new InternalError("engine step failed", { cause: err });
    for (const { request } of [...this.requests.values()]) this.failed(request, error);
  }
}

/** Runs a sink or hook callback; one that throws must not stop the other requests. */
export function safeCall(fn: () => void): void {
  try {
    fn();
  } catch {
    // Contract violation by the callee; swallowing it keeps the step loop alive.
  }
}
