/** The engine benchmark's result shape and its Markdown rendering (bench/results/engine.md). */

/** Medians at one batch size / concurrency. */
export interface BatchResult {
  readonly batch: number;
  /** Raw batched session.run loop: aggregate and decode-only tok/s. */
  readonly rawTokPerS: number;
  readonly rawDecodeTokPerS: number;
  /** Onnx runner driven directly (paged K/V, no scheduler): aggregate tok/s. */
  readonly runnerTokPerS: number;
  /** Through EngineCore with `batch` concurrent requests. */
  readonly engineTokPerS: number;
  readonly engineDecodeTokPerS: number;
  readonly engineTtftMs: number;
  /** engine / raw aggregate: median of the per-repetition ratios (each pair ran back to back). */
  readonly ratio: number;
  /** engineTokPerS / rawTokPerS. */
  readonly ratioOfMedians: number;
  /** engine / raw in generated tokens per CPU-second, median of per-repetition ratios. */
  readonly cpuRatio: number;
  /** Prompt tokens served from the prefix cache (must be 0: no sharing between prompts). */
  readonly engineCachedTokens: number;
  /** Requests whose 128 greedy tokens equal the raw loop's row (a correctness cross-check). */
  readonly tokensMatchingRaw: number;
  /** Every repetition's aggregate tok/s, in run order. */
  readonly samples: { readonly raw: number[]; readonly runner: number[]; readonly engine: number[] };
}

/** TTFT of one long prompt, cold and then again with its blocks cached. */
export interface TtftResult {
  readonly promptTokens: number;
  readonly coldMs: number;
  readonly cachedMs: number;
  readonly coldCachedTokens: number;
  readonly cachedTokens: number;
  /** cached / cold: median of the per-repetition ratios (each pair ran back to back). */
  readonly ratio: number;
  /** cachedMs / coldMs. */
  readonly ratioOfMedians: number;
  readonly samples: { readonly cold: number[]; readonly cached: number[] };
}

/** One checked target. */
export interface TargetResult {
  readonly name: string;
  readonly measured: string;
  readonly target: string;
  readonly pass: boolean;
}

/** Everything engine.json holds. */
export interface EngineBenchReport {
  readonly date: string;
  readonly command: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly platform: string; readonly loadAvgStart: number[]; readonly loadAvgEnd: number[] };
  readonly nodeVersion: string;
  readonly onnxruntimeNodeVersion: string;
  readonly model: string;
  readonly config: {
    readonly promptTokens: number; readonly newTokens: number; readonly intraOpThreads: number;
    readonly blockSize: number; readonly numBlocks: number; readonly warmups: number;
    /** Measured repetitions per batch size. */
    readonly repetitions: Readonly<Record<number, number>>;
    readonly ttftRepetitions: number;
  };
  readonly batches: BatchResult[];
  readonly ttft: TtftResult;
  readonly targets: TargetResult[];
  readonly wallSeconds: number;
}

const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const ms = (n: number): string => n.toFixed(2);
const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;

/** The Markdown page. */
export function renderEngineReport(r: EngineBenchReport): string {
  const single = r.batches.find((b) => b.batch === 1);
  const c = r.config;
  const lines = [
    "# Worker engine benchmark (in-process, onnx runner on CPU)",
    "",
    `- date: ${r.date}; wall time of the run: ${r.wallSeconds.toFixed(0)} s`,
    `- machine: ${r.machine.cpu} × ${r.machine.cores} cores (node:os), ${r.machine.platform}; load average at start ${r.machine.loadAvgStart.map((l) => l.toFixed(2)).join(" / ")}, at end ${r.machine.loadAvgEnd.map((l) => l.toFixed(2)).join(" / ")}`,
    "- the CPU was shared with other engineers' agents (builds, tests) during the run, so absolute numbers are noisy; every configuration is interleaved with its raw-loop counterpart in each repetition so ratios suffer less: an engine / raw ratio is the median of the per-repetition ratios (engine and raw of the same repetition ran back to back), which load that comes and goes disturbs less than the ratio of the two medians (also shown)",
    `- node ${r.nodeVersion}, onnxruntime-node ${r.onnxruntimeNodeVersion}, model ${r.model}`,
    `- command: \`${r.command}\``,
    `- workload: prompt ${c.promptTokens} tokens (a different prompt per request, no prefix sharing), ${c.newTokens} new tokens per request (greedy, ignore_eos), ${c.intraOpThreads} intra-op thread, block size ${c.blockSize}, ${c.numBlocks} KV blocks; ${c.warmups} warm-up rounds per configuration, then the median of ${Object.entries(c.repetitions).map(([b, n]) => `${n} (batch ${b})`).join(", ")} repetitions; TTFT median of ${c.ttftRepetitions}`,
    "- raw loop: `bench/engine-raw-loop.ts`, one `session.run` per step for the whole batch, `present` fed back as `past` (no blocks, no scheduler); runner: the onnx runner driven directly (paged K/V, no scheduler); engine: `EngineCore` via `streamRequest`, all requests admitted in the same tick",
    "- engine / raw per CPU-second: the same ratio in generated tokens per second of this process's CPU time (user + system, every thread, V8's background GC threads included), which other processes on the machine disturb less than wall time; the targets use wall time",
    "",
    "## Targets",
    "",
    "| target | measured | required | result |",
    "|---|---|---|---|",
    ...r.targets.map((t) => `| ${t.name} | ${t.measured} | ${t.target} | ${t.pass ? "PASS" : "MISS"} |`),
    "",
    "## Throughput (generated tok/s, prefill included)",
    "",
    "| concurrent requests / batch | raw loop | onnx runner | engine | engine / raw | ratio of medians | engine / raw per CPU-second | engine TTFT (ms, median) | cached prompt tokens | outputs equal to raw |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...r.batches.map((b) => `| ${b.batch} | ${int(b.rawTokPerS)} | ${int(b.runnerTokPerS)} | ${int(b.engineTokPerS)} | ${pct(b.ratio)} | ${pct(b.ratioOfMedians)} | ${pct(b.cpuRatio)} | ${ms(b.engineTtftMs)} | ${b.engineCachedTokens} | ${b.tokensMatchingRaw}/${b.batch} |`),
    "",
  ];
  if (single !== undefined) {
    lines.push(
      "## Single stream",
      "",
      `- engine decode: ${int(single.engineDecodeTokPerS)} tok/s ((${c.newTokens} − 1) tokens / (last − first token time)); raw loop decode: ${int(single.rawDecodeTokPerS)} tok/s (same measure, first step excluded)`,
      `- engine end to end: ${int(single.engineTokPerS)} tok/s; raw loop end to end: ${int(single.rawTokPerS)} tok/s`,
      "",
    );
  }
  const t = r.ttft;
  lines.push(
    `## TTFT of a ${t.promptTokens}-token prompt (median)`,
    "",
    "| | TTFT (ms) | cached prompt tokens |",
    "|---|---|---|",
    `| cold (prefix cache cleared) | ${ms(t.coldMs)} | ${t.coldCachedTokens} |`,
    `| same prompt again | ${ms(t.cachedMs)} | ${t.cachedTokens} |`,
    `| cached / cold (median of per-repetition ratios) | ${pct(t.ratio)} | |`,
    `| cached / cold (ratio of medians) | ${pct(t.ratioOfMedians)} | |`,
    "",
    `Cached tokens are capped so the last prompt token is computed (${t.promptTokens} is a whole number of blocks, so the last block is recomputed).`,
    "",
    "## Samples (aggregate tok/s per repetition, run order)",
    "",
    ...r.batches.map((b) => `- ${b.batch}: raw ${b.samples.raw.map(int).join(", ")}; runner ${b.samples.runner.map(int).join(", ")}; engine ${b.samples.engine.map(int).join(", ")}`),
    `- TTFT cold ms: ${t.samples.cold.map(ms).join(", ")}; cached ms: ${t.samples.cached.map(ms).join(", ")}`,
    "",
  );
  return lines.join("\n");
}
