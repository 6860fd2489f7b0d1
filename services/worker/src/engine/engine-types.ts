/** The engine's public shapes: what goes in, what streams out, load and metrics hooks. */
import type { FinishReason, TokenLogprob, Usage } from "#contracts/gen/kvmesh/v1/common.js";
import type { SamplingOptions, StopOptions } from "../sampling/sampling-params.js";

/** A generation request as the engine takes it (GenerateRequest with defaults applied). */
export interface EngineRequestParams {
  /** Unique while in flight. */
  readonly requestId: string;
  /** Prompt tokens; with resumeFromIndex r, the last r of them are earlier output tokens. */
  readonly tokenIds: readonly number[];
  readonly sampling: SamplingOptions;
  /** maxTokens / minTokens count the tokens still to generate (after resumeFromIndex). */
  readonly stop: StopOptions;
  /** Migration: output indexes start here. */
  readonly resumeFromIndex?: number;
  /** Echo engine: the tokens to stream back; empty or absent means the prompt (resumed tokens excluded). */
  readonly echoTokenIds?: readonly number[];
}

/** One piece of a request's stream. A finished request's last output has finishReason and usage. */
export interface EngineOutput {
  readonly requestId: string;
  /** New tokens, in order (empty on a bare final output, e.g. after cancellation). */
  readonly tokenIds: number[];
  /** Output index of tokenIds[0]. */
  readonly index: number;
  /** One per token when logprobs were asked for. */
  readonly logprobs: TokenLogprob[] | undefined;
  readonly finishReason: FinishReason | undefined;
  /**
   * From the original request's point of view: promptTokens excludes resumed tokens and
   * completionTokens includes them, so a migrated stream's last usage is right as it stands.
   * cachedTokens are input tokens served from the prefix cache, capped at promptTokens.
   */
  readonly usage: Usage | undefined;
  /** On a stream's first output only: usage's cachedTokens, known since scheduling. */
  readonly cachedTokens?: number;
}

/** Receives one request's stream. */
export interface EngineSink {
  /** Called synchronously from the step loop; must not throw. */
  onOutput(output: EngineOutput): void;
  /** The request failed (the runner threw); nothing follows. */
  onError(error: Error): void;
}

/** What WorkerLoad reports. */
export interface EngineLoad {
  readonly blocksActive: number;
  readonly blocksCachedFree: number;
  readonly blocksTotal: number;
  readonly running: number;
  readonly waiting: number;
}

/** One step, for metrics. */
export interface StepStats {
  /** Rows in the runner call. */
  readonly batchSize: number;
  /** Prompt (or recompute) tokens computed this step. */
  readonly prefillTokens: number;
  /** Decode rows this step. */
  readonly decodeTokens: number;
  /** Tokens appended to outputs this step. */
  readonly generatedTokens: number;
  readonly preempted: number;
  /** Wall time of the step (schedule + runner + update) by the injected clock. */
  readonly durationMs: number;
}

/** Cumulative counters since start. */
export interface EngineCounters {
  steps: number;
  prefillTokensComputed: number;
  /** Input tokens of admitted requests, and the part served from the prefix cache (hit rate). */
  promptTokens: number;
  cachedPromptTokens: number;
  generatedTokens: number;
  preemptions: number;
  finishedRequests: number;
}

/** Optional callbacks for metrics and load publishing; all synchronous, none may throw. */
export interface EngineHooks {
  /** After every step. */
  onStep?(stats: StepStats): void;
  /** When a request is first scheduled: its input length and cached tokens. */
  onAdmitted?(requestId: string, inputTokens: number, cachedTokens: number): void;
  /** When a request ends (any reason). */
  onFinished?(requestId: string, reason: FinishReason, usage: Usage): void;
}
