/**
 * The worker's Prometheus metrics (one registry per process; a mocker process hosting several
 * workers labels every series with worker_id). Counters come from engine hooks, gauges are read
 * from each engine when scraped.
 */
import { Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";
import type { EngineCore } from "./engine/engine-core.js";
import type { EngineHooks } from "./engine/engine-types.js";
import { VllmMetrics } from "./vllm-metrics.js";

const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** Window of the tokens/s gauge. */
const RATE_WINDOW_MS = 10_000;

/** The metrics of every worker in this process. */
export class WorkerMetrics {
  private readonly engines = new Map<string, EngineCore>();
  private readonly recent = new Map<string, Array<{ at: number; tokens: number }>>();
  private readonly prefillComputed: Counter<"worker_id">;
  private readonly promptTokens: Counter<"worker_id">;
  private readonly cachedTokens: Counter<"worker_id">;
  private readonly generated: Counter<"worker_id">;
  private readonly preemptions: Counter<"worker_id">;
  private readonly requests: Counter<"worker_id" | "finish_reason">;
  private readonly batchSize: Histogram<"worker_id">;
  private readonly stepSeconds: Histogram<"worker_id">;
  private readonly vllm: VllmMetrics;

  constructor(registry: Registry, private readonly now: () => number = () => performance.now()) {
    const registers = [registry];
    this.vllm = new VllmMetrics(registry);
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> => new Counter({ name, help, labelNames, registers });
    this.prefillComputed = counter("kvmesh_worker_prefill_computed_tokens_total", "prompt (and recompute) tokens run through the model", ["worker_id"]);
    this.promptTokens = counter("kvmesh_worker_prompt_tokens_total", "input tokens of admitted requests", ["worker_id"]);
    this.cachedTokens = counter("kvmesh_worker_prefix_cache_hit_tokens_total", "input tokens served from the prefix cache", ["worker_id"]);
    this.generated = counter("kvmesh_worker_generated_tokens_total", "output tokens produced", ["worker_id"]);
    this.preemptions = counter("kvmesh_worker_preemptions_total", "sequences preempted (recomputed later) for lack of blocks", ["worker_id"]);
    this.requests = counter("kvmesh_worker_requests_total", "finished requests by finish reason", ["worker_id", "finish_reason"]);
    this.batchSize = new Histogram({ name: "kvmesh_worker_batch_size", help: "rows per forward call", labelNames: ["worker_id"], buckets: BATCH_BUCKETS, registers });
    this.stepSeconds = new Histogram({ name: "kvmesh_worker_step_duration_seconds", help: "wall time of one scheduler step", labelNames: ["worker_id"], registers });
    const engines = this.engines;
    const gauge = (name: string, help: string, read: (engine: EngineCore, id: string) => number): void => {
      new Gauge({
        name, help, labelNames: ["worker_id"], registers,
        // Read at scrape time: a gauge that is set on every step would cost the hot loop.
        collect(this: Gauge<"worker_id">) {
          for (const [id, engine] of engines) this.set({ worker_id: id }, read(engine, id));
        },
      });
    };
    gauge("kvmesh_worker_kv_blocks_active", "KV blocks referenced by running sequences", (e) => e.load().blocksActive);
    gauge("kvmesh_worker_kv_blocks_cached", "free KV blocks still holding reusable prefix blocks", (e) => e.load().blocksCachedFree);
    gauge("kvmesh_worker_kv_blocks_total", "KV blocks allocated", (e) => e.load().blocksTotal);
    gauge("kvmesh_worker_running_requests", "sequences running", (e) => e.load().running);
    gauge("kvmesh_worker_waiting_requests", "requests waiting for admission", (e) => e.load().waiting);
    gauge("kvmesh_worker_prefix_cache_hit_rate", "cached / input tokens since start", (e) =>
      e.counters.promptTokens === 0 ? 0 : e.counters.cachedPromptTokens / e.counters.promptTokens);
    gauge("kvmesh_worker_generation_tokens_per_second", "output tokens per second over the last 10 s", (_e, id) => this.tokensPerSecond(id));
  }

  /** The engine hooks that feed the counters of worker `workerId` serving `model`. */
  hooksFor(workerId: string, model: string): EngineHooks {
    const label = { worker_id: workerId };
    return {
      onStep: (stats) => {
        this.batchSize.observe(label, stats.batchSize);
        this.stepSeconds.observe(label, stats.durationMs / 1000);
        this.prefillComputed.inc(label, stats.prefillTokens);
        this.generated.inc(label, stats.generatedTokens);
        if (stats.preempted > 0) this.preemptions.inc(label, stats.preempted);
        this.noteTokens(workerId, stats.generatedTokens);
        if (stats.generatedTokens > 0) this.vllm.generated(workerId, model, stats.generatedTokens);
      },
      onAdmitted: (_id, inputTokens, cachedTokens) => {
        this.promptTokens.inc(label, inputTokens);
        this.cachedTokens.inc(label, cachedTokens);
        this.vllm.admitted(workerId, model, inputTokens, cachedTokens);
      },
      onFinished: (_id, reason) => this.requests.inc({ worker_id: workerId, finish_reason: String(reason) }),
    };
  }

  /** Reports `engine`'s gauges under `workerId` (serving `model`, blocks of `blockSize`) from now on. */
  track(workerId: string, engine: EngineCore, model: string, blockSize: number): void {
    this.engines.set(workerId, engine);
    this.vllm.track(workerId, model, blockSize, engine);
  }

  private noteTokens(workerId: string, tokens: number): void {
    if (tokens === 0) return;
    const list = this.recent.get(workerId) ?? [];
    list.push({ at: this.now(), tokens });
    this.recent.set(workerId, list);
    // Pruned here too: without a scraper the window would otherwise grow every step.
    this.prune(list);
  }

  private tokensPerSecond(workerId: string): number {
    const list = this.recent.get(workerId) ?? [];
    this.prune(list);
    return list.reduce((sum, e) => sum + e.tokens, 0) / (RATE_WINDOW_MS / 1000);
  }

  /** Drops the entries older than the window. */
  private prune(list: Array<{ at: number }>): void {
    const since = this.now() - RATE_WINDOW_MS;
    let old = 0;
    while (old < list.length && list[old].at < since) old++;
    if (old > 0) list.splice(0, old);
  }
}
