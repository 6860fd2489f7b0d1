/**
 * The metric names vLLM exports and that the Kubernetes Gateway API Inference Extension's
 * model-server protocol (and vLLM dashboards) read, exported beside the kvmesh_* ones: a
 * deliberate exception to the naming rule so existing schedulers and dashboards can read
 * kvmesh workers. Labels follow vLLM (`model_name`), plus `worker_id`, since one mocker process
 * may host several workers.
 */
import { Counter, Gauge } from "prom-client";
import type { Registry } from "prom-client";
import type { EngineCore } from "./engine/engine-core.js";

/** One tracked worker: its engine and the labels of its series. */
interface Tracked {
  readonly engine: EngineCore;
  readonly model: string;
  readonly blockSize: number;
}

type Labels = "model_name" | "worker_id";

/** The vllm:* families of every worker in this process. */
export class VllmMetrics {
  private readonly workers = new Map<string, Tracked>();
  private readonly promptTokens: Counter<Labels>;
  private readonly generationTokens: Counter<Labels>;
  private readonly cacheQueries: Counter<Labels>;
  private readonly cacheHits: Counter<Labels>;

  constructor(registry: Registry) {
    const registers = [registry];
    const counter = (name: string, help: string): Counter<Labels> => new Counter({ name, help, labelNames: ["model_name", "worker_id"], registers });
    this.promptTokens = counter("vllm:prompt_tokens_total", "Number of prefill tokens processed (input tokens of admitted requests).");
    this.generationTokens = counter("vllm:generation_tokens_total", "Number of generation tokens processed.");
    this.cacheQueries = counter("vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens.");
    this.cacheHits = counter("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.");
    const workers = this.workers;
    const gauge = (name: string, help: string, read: (w: Tracked) => number): void => {
      new Gauge({
        name, help, labelNames: ["model_name", "worker_id"], registers,
        collect(this: Gauge<Labels>) {
          for (const [id, w] of workers) this.set({ model_name: w.model, worker_id: id }, read(w));
        },
      });
    };
    gauge("vllm:num_requests_running", "Number of requests in model execution batches.", (w) => w.engine.load().running);
    gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", (w) => w.engine.load().waiting);
    // vLLM's "perc" is a fraction in [0, 1]: blocks held by running sequences over all blocks
    // (free blocks that still cache a prefix count as free, as in vLLM).
    gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", (w) => {
      const load = w.engine.load();
      return load.blocksTotal === 0 ? 0 : load.blocksActive / load.blocksTotal;
    });
    new Gauge({
      name: "vllm:cache_config_info", help: "Information of the LLMEngine CacheConfig (value 1; the config is in the labels).",
      labelNames: ["model_name", "worker_id", "block_size", "num_gpu_blocks"], registers,
      collect(this: Gauge<Labels | "block_size" | "num_gpu_blocks">) {
        for (const [id, w] of workers) {
          this.set({ model_name: w.model, worker_id: id, block_size: String(w.blockSize), num_gpu_blocks: String(w.engine.load().blocksTotal) }, 1);
        }
      },
    });
  }

  /** Reports `engine` under `workerId` serving `model` from now on. */
  track(workerId: string, model: string, blockSize: number, engine: EngineCore): void {
    this.workers.set(workerId, { engine, model, blockSize });
    // Series exist from the start at 0, as in vLLM: a scraper's rate() needs the first sample.
    const labels = { model_name: model, worker_id: workerId };
    for (const counter of [this.promptTokens, this.generationTokens, this.cacheQueries, this.cacheHits]) counter.inc(labels, 0);
  }

  /** A request was admitted with `inputTokens`, `cachedTokens` of them from the prefix cache. */
  admitted(workerId: string, model: string, inputTokens: number, cachedTokens: number): void {
    const labels = { model_name: model, worker_id: workerId };
    this.promptTokens.inc(labels, inputTokens);
    this.cacheQueries.inc(labels, inputTokens);
    this.cacheHits.inc(labels, cachedTokens);
  }

  /** A step produced `tokens` output tokens. */
  generated(workerId: string, model: string, tokens: number): void {
    this.generationTokens.inc({ model_name: model, worker_id: workerId }, tokens);
  }
}
