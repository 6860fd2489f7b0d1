/**
 * One simulated run: a workload's requests arrive at their times, the router's decide code
 * places each on a simulated worker, and the workers step in simulated time until every
 * request finished. Deterministic: no wall clock, no Math.random, ties in time pop in order.
 */
import { KvmeshError } from "#common/errors.js";
import { prefillMs } from "../../services/worker/src/runners/mock-runner.js";
import type { RouterQueueSettings } from "../../services/router/src/decider.js";
import type { SelectionPolicy } from "../../services/router/src/scheduling/policies.js";
import type { RoutePrediction } from "../../services/router/src/scheduling/route-prediction.js";
import type { RequestRecord } from "../stats/record.js";
import type { BenchRequest, Workload } from "../workloads/types.js";
import { EventQueue } from "./event-queue.js";
import { createSimReplicas } from "./sim-replicas.js";
import type { SimReplicaOptions } from "./sim-replicas.js";
import { createSimRouter, SIM_MODEL } from "./sim-router.js";
import type { SimRouter } from "./sim-router.js";
import { SimWorker } from "./sim-worker.js";
import type { PrefillTime, SimWorkerConfig } from "./sim-worker.js";

/** How often workers report load (the worker's --load-interval default). */
export const LOAD_INTERVAL_MS = 1000;

/** What a run needs. */
export interface SimRunOptions {
  readonly policy: SelectionPolicy;
  readonly workload: Workload;
  readonly workers: number;
  readonly worker: SimWorkerConfig;
  readonly seed: number;
  /** token-load's τ in seconds of peak prefill (undefined: llm-d's 14). */
  readonly tokenLoadStickySeconds?: number;
  /** Several router replicas (requests dealt among them); absent: one router. */
  readonly replicas?: SimReplicaOptions;
  /** The router queue (late binding); undefined: every request is decided on arrival. */
  readonly queue?: SimQueueOptions;
}

/** `--router-queue-*` in the simulator. */
export type SimQueueOptions = Omit<RouterQueueSettings, "now" | "exited">;

/** What a run measured. */
export interface SimRunResult {
  readonly records: RequestRecord[];
  /** Per request, tokens of the longest prefix any worker's cache held when it was routed. */
  readonly availableTokens: number;
  readonly promptTokens: number;
  /** Per request with a first token: where its TTFT went on its worker (tail-breakdown.ts). */
  readonly prefillTimes: ReadonlyMap<string, PrefillTime>;
  /** With replicas: peers' re-decided decision samples, by outcome. */
  readonly agreement?: { readonly agree: number; readonly disagree: number };
  /** With replicas: per replica, requests its tracker still counted at the end (0: nothing leaked). */
  readonly replicaInFlight?: number[];
}

type SimEvent =
  | { readonly kind: "arrive"; readonly request: BenchRequest }
  | { readonly kind: "step"; readonly worker: SimWorker }
  | { readonly kind: "expire" };

/** A request in flight. */
interface Flight {
  readonly request: BenchRequest;
  readonly workerId: string;
  readonly startMs: number;
  readonly promptTokens: number;
  ttftMs?: number;
  lastTokenMs: number;
  readonly itlMs: number[];
  outputTokens: number;
  cachedTokens: number;
  /** The routing record and the available reuse, tokens (bench/stats/shortfall.ts). */
  readonly reuse: Pick<RequestRecord, "availableTokens" | "indexAvailableTokens" | "predictedCachedTokens" | "predictedTtftMs">;
}

/** The mocker's peak prefill throughput: one full chunk ÷ its prefill time. */
export function peakPrefillTokensPerS(maxBatchedTokens: number): number {
  return maxBatchedTokens / (prefillMs(maxBatchedTokens) / 1000);
}

/** Replays the workload against simulated workers; every request of every chain is sent at its chain's time. */
export function runSim(options: SimRunOptions): SimRunResult {
  let now = 0;
  const workers = Array.from({ length: options.workers }, (_, i) => new SimWorker(`w${String(i).padStart(2, "0")}`, options.worker));
  const byId = new Map(workers.map((w) => [w.workerId, w]));
  const routerOptions = {
    policy: options.policy, workerIds: workers.map((w) => w.workerId), blockSize: options.worker.blockSize, seed: options.seed,
    peakPrefillTokensPerS: peakPrefillTokensPerS(options.worker.maxBatchedTokens),
    chunkTokens: options.worker.maxBatchedTokens, tokenLoadStickySeconds: options.tokenLoadStickySeconds, now: () => now,
  };
  if (options.replicas !== undefined && options.queue !== undefined) {
    throw new RangeError("the router queue is simulated with one router: a +queue policy cannot run with --router-replicas");
  }
  const replicas = options.replicas === undefined ? undefined : createSimReplicas(routerOptions, options.replicas);
  // The router queue runs in a single router (replicas share reservations, not a queue).
  const single = replicas === undefined ? createSimRouter({ ...routerOptions, queue: options.queue }) : undefined;
  const router: SimRouter = replicas ?? single!;
  const queue = new EventQueue<SimEvent>();
  for (const chain of options.workload.chains) for (const request of chain.requests) queue.push(chain.atMs ?? 0, { kind: "arrive", request });
  const flights = new Map<string, Flight>();
  const records: RequestRecord[] = [];
  const prefillTimes = new Map<string, PrefillTime>();
  const reuse = { availableTokens: 0, promptTokens: 0 };
  let lastLoadMs = Number.NEGATIVE_INFINITY;
  const kick = (worker: SimWorker): void => {
    const ms = worker.startStep();
    if (ms !== undefined) queue.push(now + ms, { kind: "step", worker });
  };
  // Deciding a request (on arrival, or when the router queue releases it): it arrived at `arrivedMs`.
  const decide = (request: BenchRequest, arrivedMs: number): void => {
    const worker = arrive(request, router, byId, flights, records, reuse, arrivedMs);
    if (worker !== undefined && !worker.busy) kick(worker);
  };
  for (let event = queue.pop(); event !== undefined; event = queue.pop()) {
    now = event.at;
    const value = event.value;
    if (value.kind === "step") {
      stepDone(value.worker, router, flights, records, prefillTimes, now);
      kick(value.worker);
      continue;
    }
    if (value.kind === "expire") {
      single?.decider.expireHeld();
      continue;
    }
    if (now - lastLoadMs >= LOAD_INTERVAL_MS) {
      lastLoadMs = now;
      for (const w of workers) router.registry.setLoad(w.workerId, { ...w.load(), epoch: 1n, lastEventId: 0n });
    }
    const arrivedMs = now;
    const held = single?.decider.hold(SIM_MODEL, () => decide(value.request, arrivedMs), value.request.promptLen);
    if (held === undefined) decide(value.request, arrivedMs);
    else queue.push(now + options.queue!.maxWaitMs, { kind: "expire" });
  }
  return { records, prefillTimes, ...reuse, ...(replicas === undefined ? {} : { agreement: replicas.agreement(), replicaInFlight: replicas.inFlight() }) };
}

/** Routes and queues one request; returns its worker, or undefined when it failed (recorded). */
function arrive(
  request: BenchRequest, router: SimRouter, byId: Map<string, SimWorker>, flights: Map<string, Flight>,
  records: RequestRecord[], reuse: { availableTokens: number; promptTokens: number }, arrivedMs: number,
): SimWorker | undefined {
  // A request the router queue held counts from its arrival: the wait is part of its TTFT.
  const now = arrivedMs;
  const tokenIds = request.prompt();
  try {
    const plan = router.decider.plan({ model: SIM_MODEL, tokenIds });
    // The longest prefix any worker holds (the index is exact here), capped as the worker caps cached tokens.
    const available = plan.decision.prediction.availableCachedTokens;
    const worker = byId.get(plan.decision.workerId)!;
    worker.add(request.id, tokenIds, request.outputLen);
    router.decider.admit(request.id, plan);
    reuse.availableTokens += available;
    reuse.promptTokens += tokenIds.length;
    flights.set(request.id, {
      request, workerId: worker.workerId, startMs: now, promptTokens: tokenIds.length, lastTokenMs: now, itlMs: [], outputTokens: 0, cachedTokens: 0,
      reuse: recordOf(plan.decision.prediction, available),
    });
    return worker;
  } catch (err) {
    // A bug in the simulator must stop it; an error the mesh would answer with is a failed request.
    if (!(err instanceof KvmeshError)) throw err;
    records.push({ id: request.id, startMs: now, promptTokens: tokenIds.length, outputLen: request.outputLen, outputTokens: 0, cachedTokens: 0, itlMs: [], e2eMs: 0, error: `sim:${err.name}` });
    return undefined;
  }
}

/** Applies a finished step: KV events to the index, tokens to their requests, finished ones recorded. */
function stepDone(worker: SimWorker, router: SimRouter, flights: Map<string, Flight>, records: RequestRecord[], prefillTimes: Map<string, PrefillTime>, now: number): void {
  const { updates, events } = worker.finishStep();
  router.applyEvents(worker.workerId, events);
  for (const u of updates) {
    const id = u.request.requestId;
    const flight = flights.get(id)!;
    if (flight.ttftMs === undefined) {
      flight.ttftMs = now - flight.startMs;
      flight.cachedTokens = Math.max(0, u.request.numCachedTokens);
      const prefill = worker.takePrefillTime(id);
      if (prefill !== undefined) prefillTimes.set(id, prefill);
      router.decider.firstToken(id);
    } else {
      flight.itlMs.push(now - flight.lastTokenMs);
    }
    flight.lastTokenMs = now;
    flight.outputTokens++;
    if (u.finishReason !== undefined) {
      router.decider.finish(id);
      // A request preempted after its first token is charged its recompute: nothing reads it.
      worker.takePrefillTime(id);
      flights.delete(id);
      const { request, itlMs, ...rest } = flight;
      records.push({
        id, startMs: rest.startMs, promptTokens: rest.promptTokens, outputLen: request.outputLen, outputTokens: rest.outputTokens,
        cachedTokens: rest.cachedTokens, ttftMs: rest.ttftMs, itlMs, e2eMs: now - rest.startMs, workerId: rest.workerId, ...rest.reuse,
      });
    }
  }
}

/** A request's routing record and available reuse, as the mesh's `kvmesh` object gives them. */
function recordOf(prediction: RoutePrediction, available: number): Flight["reuse"] {
  return {
    availableTokens: available, indexAvailableTokens: prediction.availableCachedTokens, predictedCachedTokens: prediction.cachedTokens,
    ...(prediction.ttftMs === undefined ? {} : { predictedTtftMs: prediction.ttftMs }),
  };
}
