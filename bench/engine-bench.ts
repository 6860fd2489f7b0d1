/**
 * Worker engine benchmark: aggregate tok/s through EngineCore at 1/4/16/64 concurrent requests
 * against the raw batched session.run loop at the same batch sizes (same prompts, same token
 * counts, same process), and TTFT of a long prompt cold vs cached. Writes
 * bench/results/engine.md and engine.json.
 *
 * Run: npm run bench:engine   (node dist/bench/engine-bench.js [modelDir])
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type * as ort from "onnxruntime-node";
import { EngineCore } from "../services/worker/src/engine/engine-core.js";
import { loadModelDir } from "#models/model-dir.js";
import type { ModelDir } from "#models/model-dir.js";
import { createOnnxRunner } from "../services/worker/src/runners/onnx-runner.js";
import type { OnnxRunner } from "../services/worker/src/runners/onnx-runner.js";
import { engineConcurrentRun, engineTtft, median } from "./engine-measure.js";
import type { EngineRun } from "./engine-measure.js";
import { benchPrompt, createRawSession, rawBatchedDecode, runnerBatchedDecode } from "./engine-raw-loop.js";
import type { DecodeRun } from "./engine-raw-loop.js";
import { renderEngineReport } from "./engine-report.js";
import type { BatchResult, EngineBenchReport, TargetResult, TtftResult } from "./engine-report.js";

const PROMPT_TOKENS = 32;
const NEW_TOKENS = 128;
const BATCHES = [1, 4, 16, 64];
const TTFT_PROMPT_TOKENS = 400;
const BLOCK_SIZE = 16;
const NUM_BLOCKS = 1024; // 64 × 10 blocks running, plus room for the prefix cache
/** Repetitions per batch size: small batches finish in tens of ms, so they need more to settle. */
const REPS: Readonly<Record<number, number>> = { 1: 21, 4: 13, 16: 7, 64: 5 };
/** Warm-up rounds per batch size before its measured ones (the JIT and onnxruntime's allocator settle). */
const WARMUPS = 2;
const TTFT_REPS = 9;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Harness {
  readonly model: ModelDir;
  readonly session: ort.InferenceSession;
  /** Driven directly by runnerBatchedDecode (own blocks, so the engine's cache is untouched). */
  readonly bareRunner: OnnxRunner;
  readonly engineRunner: OnnxRunner;
  readonly engine: EngineCore;
}

async function openHarness(dir: string): Promise<Harness> {
  const model = loadModelDir(dir);
  const session = await createRawSession(model.onnxPath);
  const runnerOptions = { model, blockSize: BLOCK_SIZE, intraOpThreads: 1, device: "cpu" as const };
  const maxBatch = Math.max(...BATCHES);
  const bareRunner = await createOnnxRunner({ ...runnerOptions, numBlocks: maxBatch * Math.ceil((PROMPT_TOKENS + NEW_TOKENS) / BLOCK_SIZE) });
  const engineRunner = await createOnnxRunner({ ...runnerOptions, numBlocks: NUM_BLOCKS });
  const engine = new EngineCore({
    runner: engineRunner,
    maxNumSeqs: maxBatch,
    maxBatchedTokens: 4096,
    maxWaiting: 4 * maxBatch,
    contextLength: model.contextLength,
    eosTokenIds: model.eosTokenIds,
  });
  return { model, session, bareRunner, engineRunner, engine };
}

const decodeRate = (run: DecodeRun, batch: number): number => (batch * (NEW_TOKENS - 1)) / ((run.totalMs - run.firstStepMs) / 1000);
const sameTokens = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((t, i) => t === b[i]);

/** A first pass over every code path, so the batch measured first does not pay for JIT compilation. */
async function warmUp(h: Harness): Promise<void> {
  const prompts = Array.from({ length: 16 }, (_, row) => benchPrompt(row, PROMPT_TOKENS, h.model.vocabSize));
  for (let round = 0; round < 3; round++) {
    await rawBatchedDecode(h.session, prompts, NEW_TOKENS);
    await runnerBatchedDecode(h.bareRunner, prompts, NEW_TOKENS);
    await engineConcurrentRun(h.engine, prompts, NEW_TOKENS, `warm-${round}`);
  }
}

/** Warm-up, then REPS repetitions of raw, runner and engine, in an order rotated every repetition. */
async function measureBatch(h: Harness, batch: number): Promise<BatchResult> {
  const prompts = Array.from({ length: batch }, (_, row) => benchPrompt(row, PROMPT_TOKENS, h.model.vocabSize));
  const raws: DecodeRun[] = [];
  const bares: DecodeRun[] = [];
  const engines: EngineRun[] = [];
  const kinds = [
    async () => void raws.push(await rawBatchedDecode(h.session, prompts, NEW_TOKENS)),
    async () => void bares.push(await runnerBatchedDecode(h.bareRunner, prompts, NEW_TOKENS)),
    async (rep: number) => void engines.push(await engineConcurrentRun(h.engine, prompts, NEW_TOKENS, `b${batch}-r${rep}`)),
  ];
  for (let rep = 0; rep < WARMUPS + REPS[batch]; rep++) {
    for (let k = 0; k < kinds.length; k++) await kinds[(k + rep) % kinds.length](rep);
    if (rep < WARMUPS) for (const list of [raws, bares, engines]) list.length = 0;
  }
  const rawTokPerS = median(raws.map((r) => r.tokPerS));
  const engineTokPerS = median(engines.map((r) => r.tokPerS));
  const reference = raws[0].tokens;
  return {
    batch,
    rawTokPerS,
    rawDecodeTokPerS: median(raws.map((r) => decodeRate(r, batch))),
    runnerTokPerS: median(bares.map((r) => r.tokPerS)),
    engineTokPerS,
    engineDecodeTokPerS: median(engines.map((r) => r.decodeTokPerS)),
    engineTtftMs: median(engines.map((r) => r.ttftMs)),
    ratio: median(engines.map((e, i) => e.tokPerS / raws[i].tokPerS)),
    ratioOfMedians: engineTokPerS / rawTokPerS,
    // Same tokens on both sides, so the per-CPU-second ratio is raw CPU time / engine CPU time.
    cpuRatio: median(engines.map((e, i) => raws[i].cpuMs / e.cpuMs)),
    engineCachedTokens: Math.max(...engines.map((r) => r.cachedTokens)),
    tokensMatchingRaw: engines[0].tokens.filter((t, i) => sameTokens(t, reference[i])).length,
    samples: { raw: raws.map((r) => r.tokPerS), runner: bares.map((r) => r.tokPerS), engine: engines.map((r) => r.tokPerS) },
  };
}

/** Cold: cache cleared, then the prompt; cached: the same prompt right after. */
async function measureTtft(h: Harness): Promise<TtftResult> {
  const prompt = benchPrompt(1000, TTFT_PROMPT_TOKENS, h.model.vocabSize);
  const cold: { ms: number; cachedTokens: number }[] = [];
  const cached: { ms: number; cachedTokens: number }[] = [];
  for (let rep = 0; rep < WARMUPS + TTFT_REPS; rep++) {
    await h.engine.idle();
    h.engine.clearKvCache();
    const c = await engineTtft(h.engine, prompt, `ttft-cold-${rep}`);
    const w = await engineTtft(h.engine, prompt, `ttft-cached-${rep}`);
    if (rep < WARMUPS) continue;
    cold.push(c);
    cached.push(w);
  }
  const coldMs = median(cold.map((s) => s.ms));
  const cachedMs = median(cached.map((s) => s.ms));
  return {
    promptTokens: TTFT_PROMPT_TOKENS,
    coldMs,
    cachedMs,
    coldCachedTokens: Math.max(...cold.map((s) => s.cachedTokens)),
    cachedTokens: Math.min(...cached.map((s) => s.cachedTokens)),
    ratio: median(cached.map((w, i) => w.ms / cold[i].ms)),
    ratioOfMedians: cachedMs / coldMs,
    samples: { cold: cold.map((s) => s.ms), cached: cached.map((s) => s.ms) },
  };
}

const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;

/** The two targets; ratios are medians of per-repetition ratios (each pair ran back to back). */
function checkTargets(batches: readonly BatchResult[], ttft: TtftResult): TargetResult[] {
  const at16 = batches.find((b) => b.batch === 16);
  const targets: TargetResult[] = [];
  if (at16 !== undefined) {
    targets.push({
      name: "engine aggregate tok/s at 16 concurrent vs raw loop at batch 16",
      measured: `${pct(at16.ratio)} (medians ${Math.round(at16.engineTokPerS)} vs ${Math.round(at16.rawTokPerS)} tok/s: ${pct(at16.ratioOfMedians)})`,
      target: ">= 80%",
      pass: at16.ratio >= 0.8,
    });
  }
  targets.push({
    name: `cached TTFT vs cold TTFT, ${ttft.promptTokens}-token prompt`,
    measured: `${pct(ttft.ratio)} (medians ${ttft.cachedMs.toFixed(2)} vs ${ttft.coldMs.toFixed(2)} ms: ${pct(ttft.ratioOfMedians)}; ${ttft.cachedTokens} cached tokens)`,
    target: "<= 20%",
    pass: ttft.ratio <= 0.2,
  });
  return targets;
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = resolve(process.argv[2] ?? join(repoRoot, "../shared/models/stories260K"));
  const loadAvgStart = loadavg();
  const h = await openHarness(dir);
  await warmUp(h);
  const batches: BatchResult[] = [];
  for (const batch of BATCHES) {
    const result = await measureBatch(h, batch);
    console.log(JSON.stringify({ batch, raw: Math.round(result.rawTokPerS), runner: Math.round(result.runnerTokPerS), engine: Math.round(result.engineTokPerS), ratio: +result.ratio.toFixed(3), ratioOfMedians: +result.ratioOfMedians.toFixed(3), cpuRatio: +result.cpuRatio.toFixed(3) }));
    batches.push(result);
  }
  const ttft = await measureTtft(h);
  console.log(JSON.stringify({ ttftColdMs: +ttft.coldMs.toFixed(2), ttftCachedMs: +ttft.cachedMs.toFixed(2), cachedTokens: ttft.cachedTokens }));
  await h.engine.close();
  await Promise.all([h.bareRunner.close(), h.engineRunner.close(), h.session.release()]);
  const ortPackage = JSON.parse(readFileSync(join(repoRoot, "node_modules/onnxruntime-node/package.json"), "utf8")) as { version: string };
  const report: EngineBenchReport = {
    date: new Date().toISOString(),
    command: process.argv[2] === undefined ? "npm run bench:engine" : `node dist/bench/engine-bench.js ${process.argv[2]}`,
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, platform: `${platform()} ${release()}`, loadAvgStart, loadAvgEnd: loadavg() },
    nodeVersion: process.version,
    onnxruntimeNodeVersion: ortPackage.version,
    model: `${basename(dir)} (${dir})`,
    config: { promptTokens: PROMPT_TOKENS, newTokens: NEW_TOKENS, intraOpThreads: 1, blockSize: BLOCK_SIZE, numBlocks: NUM_BLOCKS, warmups: WARMUPS, repetitions: { ...REPS }, ttftRepetitions: TTFT_REPS },
    batches,
    ttft,
    targets: checkTargets(batches, ttft),
    wallSeconds: (performance.now() - started) / 1000,
  };
  const outDir = join(repoRoot, "bench/results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "engine.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, "engine.md"), renderEngineReport(report));
  for (const t of report.targets) console.log(`${t.pass ? "PASS" : "MISS"} ${t.name}: ${t.measured} (target ${t.target})`);
}

await main();
