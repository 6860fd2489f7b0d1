import { Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";
import type { FeedObserver } from "./events/kv-event-feed.js";
import type { ForwarderObserver } from "./forwarder.js";
import type { QueueExit } from "./queue/admission-queue.js";

/** The router's Prometheus metrics (ARCHITECTURE.md, Operability), on the process registry. */
export interface RouterMetrics {
  readonly feed: FeedObserver;
  readonly forwarder: ForwarderObserver;
  /** Sets the per-worker index size gauge from a collect callback. */
  setIndexSizeSource(source: () => ReadonlyArray<{ workerId: string; model: string; blocks: number }>): void;
  /** Sets the per-worker TTFT calibration error gauge (ttft mode) from a collect callback. */
  setTtftMapeSource(source: () => ReadonlyArray<{ workerId: string; model: string; mape: number | undefined }>): void;
  /** The router queue: depth gauge (from a collect callback) and wait histogram. */
  readonly queue: { exited(exit: QueueExit, waitedMs: number): void; setDepthSource(source: () => number): void };
}

/** Registers every kvmesh_router_* metric on `registry`. */
export function createRouterMetrics(registry: Registry): RouterMetrics {
  const registers = [registry];
  const decisions = new Counter({ name: "kvmesh_router_decisions_total", help: "Routing decisions sent, by worker", labelNames: ["model", "worker_id"], registers });
  const hitRate = new Histogram({
    name: "kvmesh_router_kv_hit_rate", help: "Share of a routed prompt's tokens cached on the chosen worker",
    buckets: [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1], registers,
  });
  const overhead = new Histogram({
    name: "kvmesh_router_routing_overhead_seconds", help: "Time spent deciding one route",
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05], registers,
  });
  const applied = new Counter({ name: "kvmesh_router_kv_events_applied_total", help: "KV events applied to the index", labelNames: ["worker_id"], registers });
  const rejected = new Counter({ name: "kvmesh_router_kv_events_rejected_total", help: "KV events not applied, by reason", labelNames: ["worker_id", "reason"], registers });
  const resyncs = new Counter({ name: "kvmesh_router_resyncs_total", help: "Workers resynced from DumpKvState, by cause", labelNames: ["cause"], registers });
  const migrations = new Counter({ name: "kvmesh_router_migrations_total", help: "Streams moved to another worker mid-stream", registers });
  const retries = new Counter({ name: "kvmesh_router_retries_total", help: "Workers unavailable before the first token, another tried", registers });
  const { cachedError, ttftError } = predictionErrorHistograms(registers);
  let sizeSource: () => ReadonlyArray<{ workerId: string; model: string; blocks: number }> = () => [];
  new Gauge({
    name: "kvmesh_router_index_blocks", help: "Blocks indexed per worker", labelNames: ["model", "worker_id"], registers,
    collect() {
      this.reset();
      for (const s of sizeSource()) this.set({ model: s.model, worker_id: s.workerId }, s.blocks);
    },
  });
  let mapeSource: () => ReadonlyArray<{ workerId: string; model: string; mape: number | undefined }> = () => [];
  new Gauge({
    name: "kvmesh_router_ttft_mape", help: "ttft mode: mean absolute percentage error of predicted vs observed time to first token, per worker (1 = 100%)",
    labelNames: ["model", "worker_id"], registers,
    collect() {
      this.reset();
      for (const s of mapeSource()) if (s.mape !== undefined) this.set({ model: s.model, worker_id: s.workerId }, s.mape);
    },
  });
  let depthSource: () => number = () => 0;
  new Gauge({
    name: "kvmesh_router_queue_depth", help: "Requests the router queue holds while every worker is saturated (--router-queue-threshold)", registers,
    collect() {
      this.set(depthSource());
    },
  });
  const queueWait = new Histogram({
    name: "kvmesh_router_queue_wait_seconds", help: "Time a request was held by the router queue, by how it left (released, timeout, cancelled)",
    labelNames: ["exit"], buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
  });
  return {
    queue: {
      exited: (exit, waitedMs) => queueWait.observe({ exit }, waitedMs / 1000),
      setDepthSource: (source) => (depthSource = source),
    },
    feed: {
      applied: (workerId, n) => applied.inc({ worker_id: workerId }, n),
      rejected: (workerId, n, reason) => rejected.inc({ worker_id: workerId, reason }, n),
      resync: (_workerId, cause) => resyncs.inc({ cause }),
    },
    forwarder: {
      decided: (plan, seconds) => {
        decisions.inc({ model: plan.model, worker_id: plan.decision.workerId });
        overhead.observe(seconds);
        const overlap = plan.decision.workers.find((w) => w.workerId === plan.decision.workerId)?.overlapBlocks ?? 0;
        hitRate.observe(plan.request.isl === 0 ? 0 : Math.min(1, (overlap * plan.request.blockSize) / plan.request.isl));
      },
      firstToken: (plan, delivered, ttftSeconds) => {
        if (delivered !== undefined) cachedError.observe({ model: plan.model }, plan.decision.prediction.cachedTokens - delivered);
        const predictedMs = plan.decision.prediction.ttftMs;
        if (predictedMs !== undefined) ttftError.observe({ model: plan.model }, ttftSeconds - predictedMs / 1000);
      },
      migrated: () => migrations.inc(),
      retried: () => retries.inc(),
    },
    setIndexSizeSource: (source) => (sizeSource = source),
    setTtftMapeSource: (source) => (mapeSource = source),
  };
}

/**
 * The routing record's error histograms (docs/routing-record.md), labelled by model only: worker
 * ids are new with every worker process, so a worker label would grow without bound (the
 * per-worker view is kvmesh_router_ttft_mape and ListWorkers' ttft_mape).
 */
function predictionErrorHistograms(registers: Registry[]): { cachedError: Histogram<"model">; ttftError: Histogram<"model"> } {
  const cachedError = new Histogram({
    name: "kvmesh_router_cached_tokens_prediction_error_tokens",
    help: "Predicted minus delivered cached prompt tokens of the chosen worker, per sent decision (above 0: the index promised blocks the worker no longer had)",
    labelNames: ["model"], buckets: [-16384, -4096, -1024, -256, -64, -1, 0, 64, 256, 1024, 4096, 16384], registers,
  });
  const ttftError = new Histogram({
    name: "kvmesh_router_ttft_prediction_error_seconds",
    help: "ttft mode: observed minus predicted time to first token of the chosen worker, seconds (above 0: slower than predicted)",
    labelNames: ["model"], buckets: [-10, -5, -2.5, -1, -0.5, -0.25, -0.1, -0.05, -0.025, -0.01, 0, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
  });
  return { cachedError, ttftError };
}
