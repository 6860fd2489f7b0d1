/**
 * A simulated worker: the mocker's own scheduler, KV cache manager and block pool
 * (services/worker/src/engine) stepped by the simulator's clock, each step lasting the mock
 * runner's simulated time. Nothing sleeps: the caller schedules the step's end.
 */
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";
import { BlockPool } from "../../services/worker/src/engine/block-pool.js";
import { KvCacheManager } from "../../services/worker/src/engine/kv-cache-manager.js";
import { KvEventRecorder } from "../../services/worker/src/engine/kv-events.js";
import type { KvEventData } from "../../services/worker/src/engine/kv-events.js";
import { EventRing } from "../../services/worker/src/events/event-ring.js";
import { createRequest } from "../../services/worker/src/engine/request-factory.js";
import type { EngineRequest } from "../../services/worker/src/engine/request.js";
import { Scheduler } from "../../services/worker/src/engine/scheduler.js";
import type { RequestUpdate, SchedulerOutput } from "../../services/worker/src/engine/scheduler.js";
import type { RunnerRow } from "../../services/worker/src/runners/model-runner.js";
import { decodeMs, isDecodeRow, mockTokenId, stepMs } from "../../services/worker/src/runners/mock-runner.js";
import { DEFAULT_SAMPLING } from "../../services/worker/src/sampling/sampling-params.js";

/** The mocker flags a simulated worker takes. */
export interface SimWorkerConfig {
  readonly numKvBlocks: number;
  readonly blockSize: number;
  readonly maxNumSeqs: number;
  readonly maxBatchedTokens: number;
  readonly maxWaiting: number;
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
}

/** What a finished step produced. */
export interface StepDone {
  readonly updates: RequestUpdate[];
  /** KV events recorded during the step (scheduling and update), in order. */
  readonly events: KvEvent[];
}

/**
 * Where a request's time to first token went on its worker: the steps that fed its prompt
 * (their whole durations, other rows included) and, of those, the decode time of the decode
 * rows that shared them. TTFT minus `stepsMs` is its wait (before its first chunk, or between
 * chunks); `stepsMs` is what it would have taken with no wait at all (tail-breakdown.ts).
 */
export interface PrefillTime {
  readonly steps: number;
  /** Of `steps`, those that carried decode rows. */
  readonly decodeSteps: number;
  readonly stepsMs: number;
  readonly decodeMs: number;
}

/** One mocker worker in simulated time. */
export class SimWorker {
  readonly kv: KvCacheManager;
  readonly scheduler: Scheduler;
  private readonly recorder = new KvEventRecorder();
  /** Numbers the step's changes as a real worker's ring does (the one owner of event ids). */
  private readonly ring = new EventRing(1024, () => 1);
  private pendingChanges: KvEventData[] = [];
  private running: SchedulerOutput | undefined;
  private arrivals = 0;
  private readonly maxModelLen: number;
  private readonly prefillTimes = new Map<string, { -readonly [K in keyof PrefillTime]: PrefillTime[K] }>();

  constructor(readonly workerId: string, private readonly config: SimWorkerConfig) {
    this.recorder.subscribe((change) => this.pendingChanges.push(change));
    this.kv = new KvCacheManager(new BlockPool(config.numKvBlocks, this.recorder), config.blockSize, this.recorder);
    this.maxModelLen = Math.min(config.contextLength, config.numKvBlocks * config.blockSize);
    this.scheduler = new Scheduler({ ...config, maxModelLen: this.maxModelLen }, this.kv);
  }

  /** Whether a step is in progress. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Queues a request (throws as the engine does: ContextLengthError, OverloadedError). */
  add(requestId: string, tokenIds: readonly number[], maxTokens: number): EngineRequest {
    const request = createRequest(
      { requestId, tokenIds, sampling: DEFAULT_SAMPLING, stop: { maxTokens, minTokens: 0, stopTokenIds: [], ignoreEos: true } },
      { blockSize: this.config.blockSize, vocabSize: this.config.vocabSize, maxModelLen: this.maxModelLen, inFlight: () => false, arrival: ++this.arrivals },
    );
    this.scheduler.add(request);
    return request;
  }

  /** Starts a step if there is work; returns its simulated duration in ms, or undefined when idle. */
  startStep(): number | undefined {
    if (this.running !== undefined || !this.scheduler.hasWork) return undefined;
    const output = this.scheduler.schedule();
    if (output.rows.length === 0) return undefined;
    this.running = output;
    const rows: RunnerRow[] = output.rows.map((row) => ({
      newTokenIds: new Array<number>(row.numNewTokens),
      numComputedTokens: row.request.numComputedTokens,
      blockIds: [],
      needsLogits: row.needsLogits,
    }));
    const ms = stepMs(rows, this.kv.usage);
    this.countPrefillTime(output, rows, ms);
    return ms;
  }

  /**
   * The step's time, charged to every request it feeds prompt tokens to; a row is decode by the
   * mock runner's own rule (isDecodeRow, as stepMs times it), so the charge matches the step's
   * simulated time.
   */
  private countPrefillTime(output: SchedulerOutput, rows: readonly RunnerRow[], ms: number): void {
    const decodeShareMs = rows.some(isDecodeRow) ? decodeMs(this.kv.usage) : 0;
    rows.forEach((row, i) => {
      if (isDecodeRow(row)) return;
      const id = output.rows[i].request.requestId;
      let t = this.prefillTimes.get(id);
      if (t === undefined) this.prefillTimes.set(id, (t = { steps: 0, decodeSteps: 0, stepsMs: 0, decodeMs: 0 }));
      t.steps++;
      if (decodeShareMs > 0) t.decodeSteps++;
      t.stepsMs += ms;
      t.decodeMs += decodeShareMs;
    });
  }

  /** The prefill time charged to a request so far, and forgets it (call at its first token and at its end). */
  takePrefillTime(requestId: string): PrefillTime | undefined {
    const t = this.prefillTimes.get(requestId);
    this.prefillTimes.delete(requestId);
    return t;
  }

  /** Ends the running step: tokens appended (the mocker's token), blocks cached, requests finished. */
  finishStep(): StepDone {
    const output = this.running!;
    this.running = undefined;
    const sampled = output.rows.map((row) => {
      if (!row.needsLogits) return null;
      const r = row.request;
      return { tokenId: mockTokenId(r.seed, r.requestId, r.nextOutputIndex, this.config.vocabSize, this.config.eosTokenIds, 3), logprob: undefined };
    });
    const updates = this.scheduler.updateFromOutput(output, sampled);
    const events = this.ring.append(this.pendingChanges);
    this.pendingChanges = [];
    return { updates, events };
  }

  /** Load as a WorkerLoad report says it. */
  load(): { blocksActive: number; blocksCachedFree: number; blocksTotal: number; running: number; waiting: number } {
    const counts = this.kv.pool.counts();
    return { blocksActive: counts.active, blocksCachedFree: counts.cachedFree, blocksTotal: counts.total, running: this.scheduler.running.length, waiting: this.scheduler.waiting.length };
  }
}
