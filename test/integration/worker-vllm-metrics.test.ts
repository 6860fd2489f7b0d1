// A mocker process hosting two workers, scraped on its metrics port: the vllm:* families that
// vLLM dashboards and the Gateway API Inference Extension read, with vLLM's model_name label,
// exact token counts and a prefix-cache hit.
import { expect } from "chai";
import { stopAllProcesses } from "../support/process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { generate, metricSum, scrape, startWorkerProcess } from "../support/worker-process.js";
import type { WorkerProcess } from "../support/worker-process.js";

const MODEL = "vllm-names";

/** The value of the one series of `name` whose labels include every `labels` pair. */
function series(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.lastIndexOf("}"));
    if (Object.entries(labels).every(([k, v]) => inside.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

describe("worker metrics under vLLM's names (mocker, two workers in one process)", function () {
  this.timeout(60_000);
  let worker: WorkerProcess;

  before(async function () {
    requireStoriesModel(this);
    worker = await startWorkerProcess(["--model", storiesModelDir, "--engine", "mocker", "--model-name", MODEL, "--workers", "2", "--block-size", "4", "--num-kv-blocks", "40", "--speedup-ratio", "100"], { workers: 2 });
  });
  after(() => stopAllProcesses());

  it("exports every vllm:* family with model_name and worker_id, and the cache config as labels", async () => {
    const text = await scrape(worker.metricsPort!);
    for (const id of worker.workerIds) {
      const labels = { model_name: MODEL, worker_id: id };
      for (const name of ["vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:prompt_tokens_total", "vllm:generation_tokens_total", "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total"]) {
        expect(series(text, name, labels), `${name} of ${id}`).to.equal(0);
      }
      expect(series(text, "vllm:cache_config_info", { ...labels, block_size: "4", num_gpu_blocks: "40" }), id).to.equal(1);
    }
    expect(text).to.match(/^# TYPE vllm:prompt_tokens_total counter$/m);
    expect(text).to.match(/^# TYPE vllm:num_requests_waiting gauge$/m);
  });

  it("counts prompt and generated tokens exactly, and a repeated prompt's cached blocks as prefix-cache hits", async () => {
    const id = worker.workerIds[0];
    const labels = { model_name: MODEL, worker_id: id };
    const prompt = Array.from({ length: 13 }, (_, i) => 10 + i); // 3 full blocks of 4 + 1 token
    const request = { tokenIds: prompt, stop: { maxTokens: 5, stopTokenIds: [], ignoreEos: true } };
    await generate(worker.client(0), request);
    await generate(worker.client(0), request);
    const text = await scrape(worker.metricsPort!);
    expect(series(text, "vllm:prompt_tokens_total", labels)).to.equal(26);
    expect(series(text, "vllm:generation_tokens_total", labels)).to.equal(10);
    expect(series(text, "vllm:prefix_cache_queries_total", labels)).to.equal(26);
    expect(series(text, "vllm:prefix_cache_hits_total", labels)).to.equal(12);
    expect(series(text, "vllm:prompt_tokens_total", { model_name: MODEL, worker_id: worker.workerIds[1] }), "the other worker").to.equal(0);
    // Both finished: nothing holds blocks, so usage is back to 0 (cached free blocks count as free).
    expect(series(text, "vllm:kv_cache_usage_perc", labels)).to.equal(0);
    expect(metricSum(text, "vllm:num_requests_running")).to.equal(0);
  });

  it("reports running requests and KV usage while a request is in flight", async () => {
    const id = worker.workerIds[1];
    const labels = { model_name: MODEL, worker_id: id };
    const long = generate(worker.client(1), { tokenIds: Array.from({ length: 8 }, (_, i) => 100 + i), stop: { maxTokens: 60, stopTokenIds: [], ignoreEos: true } });
    let seen: { running?: number; usage?: number } = {};
    for (let i = 0; i < 100 && !(seen.running === 1); i++) {
      const text = await scrape(worker.metricsPort!);
      seen = { running: series(text, "vllm:num_requests_running", labels), usage: series(text, "vllm:kv_cache_usage_perc", labels) };
      if (seen.running !== 1) await new Promise((r) => setTimeout(r, 5));
    }
    await long;
    expect(seen.running).to.equal(1);
    expect(seen.usage).to.be.greaterThan(0).and.at.most(1);
  });
});
