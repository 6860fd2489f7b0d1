/**
 * Measurements through the engine itself (scheduler, KV cache manager, sampler, onnx runner),
 * driven the way the worker's service drives it: one `streamRequest` per request, all of a
 * round admitted in the same tick.
 */
import { performance } from "node:perf_hooks";
import type { EngineCore } from "../services/worker/src/engine/engine-core.js";
import type { EngineRequestParams } from "../services/worker/src/engine/engine-types.js";
import { streamRequest } from "../services/worker/src/engine/request-stream.js";
import { cpuMsSince } from "./engine-raw-loop.js";
import { DEFAULT_SAMPLING, DEFAULT_STOP } from "../services/worker/src/sampling/sampling-params.js";

/** One round of concurrent requests through the engine. */
export interface EngineRun {
  /** Generated tokens of all requests per second of wall time (first admission to last token). */
  readonly tokPerS: number;
  readonly totalMs: number;
  /** CPU time of the process during the round. */
  readonly cpuMs: number;
  /** Median time from admission to a request's first token. */
  readonly ttftMs: number;
  /** Decode rate of one stream: (tokens − 1) / (last token − first token), median over requests. */
  readonly decodeTokPerS: number;
  /** Prompt tokens the prefix cache served, summed over the round (0 means no sharing). */
  readonly cachedTokens: number;
  /** Generated tokens per request. */
  readonly tokens: number[][];
}

/** A greedy request that makes exactly `newTokens` tokens (ignore_eos, no stop ids). */
export function benchRequest(requestId: string, tokenIds: readonly number[], newTokens: number): EngineRequestParams {
  return { requestId, tokenIds, sampling: DEFAULT_SAMPLING, stop: { ...DEFAULT_STOP, maxTokens: newTokens, ignoreEos: true } };
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs one request's stream to its end; its token times are relative to `started`. */
async function drain(engine: EngineCore, params: EngineRequestParams, started: number): Promise<{ tokens: number[]; times: number[]; cached: number }> {
  const tokens: number[] = [];
  const times: number[] = [];
  let cached = 0;
  for await (const output of streamRequest(engine, params)) {
    const at = performance.now() - started;
    for (const id of output.tokenIds) {
      tokens.push(id);
      times.push(at);
    }
    if (output.usage !== undefined) cached = output.usage.cachedTokens;
  }
  return { tokens, times, cached };
}

/**
 * Admits one request per prompt in the same tick and waits for all of them. The prefix cache
 * is cleared first, so a repeated round does not reuse the previous round's blocks.
 */
export async function engineConcurrentRun(engine: EngineCore, prompts: readonly number[][], newTokens: number, tag: string): Promise<EngineRun> {
  await engine.idle();
  engine.clearKvCache();
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const results = await Promise.all(prompts.map((prompt, i) => drain(engine, benchRequest(`${tag}-${i}`, prompt, newTokens), started)));
  const totalMs = performance.now() - started;
  const generated = results.reduce((n, r) => n + r.tokens.length, 0);
  const decodeRates = results.map((r) => (r.times.length - 1) / ((r.times[r.times.length - 1] - r.times[0]) / 1000));
  return {
    tokPerS: generated / (totalMs / 1000),
    totalMs,
    cpuMs: cpuMsSince(cpuStart),
    ttftMs: median(results.map((r) => r.times[0])),
    decodeTokPerS: median(decodeRates),
    cachedTokens: results.reduce((n, r) => n + r.cached, 0),
    tokens: results.map((r) => r.tokens),
  };
}

/** Time to the first token of one request, and the prompt tokens the prefix cache served. */
export async function engineTtft(engine: EngineCore, prompt: readonly number[], requestId: string): Promise<{ ms: number; cachedTokens: number }> {
  await engine.idle();
  const started = performance.now();
  let ms = -1;
  let cachedTokens = 0;
  // One token is enough: TTFT is admission → prefill → first sampled token.
  for await (const output of streamRequest(engine, benchRequest(requestId, prompt, 1))) {
    if (ms < 0) ms = performance.now() - started;
    if (output.usage !== undefined) cachedTokens = output.usage.cachedTokens;
  }
  return { ms, cachedTokens };
}
