/**
 * The output side of one request, as plain data: router messages (token ids) in, preprocessor
 * messages (text deltas) out. Tokens go one at a time through the incremental detokenizer and
 * the stop-string matcher, so a stop string inside a multi-token message ends the stream at
 * the token that completed it; the caller then cancels the upstream call.
 */
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { GenerateResponse, RoutingRecord, Usage } from "#contracts/gen/kvmesh/v1/common.js";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { IncrementalDetokenizer } from "../detokenizer/incremental-detokenizer.js";
import { StopStringMatcher } from "../detokenizer/stop-strings.js";
import type { TokenDecoder } from "../tokenizer/model-tokenizer.js";
import { textLogprob } from "./logprob-text.js";
import type { PieceSource } from "./logprob-text.js";

/** Options of {@link OutputProcessor}. */
export interface OutputProcessorOptions {
  tokenizer: TokenDecoder & PieceSource;
  promptTokenIds: readonly number[];
  skipSpecialTokens: boolean;
  stopStrings: readonly string[];
  includeStopStrInOutput: boolean;
  /**
   * The model's eos ids and the request's stop_token_ids: a stream the worker ended on one of
   * them carries that token, whose text is left out (as vLLM does) unless include_stop_str_in_output.
   */
  stopTokenIds?: readonly number[];
  /** Stop strings are not looked for until this many tokens were generated (vLLM's rule). */
  minTokens?: number;
}

/** One message to send, and whether it is the last. */
export interface ProcessedOutput {
  response: PreprocessResponse;
  done: boolean;
}

/** Turns one request's router stream into its preprocessor stream. */
export class OutputProcessor {
  private readonly detokenizer: IncrementalDetokenizer;
  private readonly stops: StopStringMatcher;
  private generated = 0;
  private cachedTokens = 0;
  /** The router's latest routing record (a migration sends a new one). */
  private routing: RoutingRecord | undefined;
  private finished = false;

  constructor(private readonly options: OutputProcessorOptions) {
    this.detokenizer = new IncrementalDetokenizer(options.tokenizer, { skipSpecialTokens: options.skipSpecialTokens, promptTokens: options.promptTokenIds });
    this.stops = new StopStringMatcher(options.stopStrings, options.includeStopStrInOutput);
  }

  /** True once a message with `done` was produced; later messages are ignored. */
  get done(): boolean {
    return this.finished;
  }

  /** Processes one router message. */
  push(message: GenerateResponse): ProcessedOutput {
    const response: PreprocessResponse = { text: "", tokenIds: [], logprobs: [], workerId: message.workerId, migrations: message.migrations, toolCalls: [] };
    if (this.finished) return { response, done: true };
    // The first message says what the prefix cache served; the last one's usage says it again.
    if (message.cachedTokens !== undefined) this.cachedTokens = message.cachedTokens;
    if (message.usage) this.cachedTokens = message.usage.cachedTokens;
    if (message.routing) this.routing = message.routing;
    // Every message once known, so the last one has it even when a stop string ends the stream.
    if (this.routing) response.routing = this.routing;
    const ids = message.tokenIds;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      this.generated++;
      response.tokenIds.push(id);
      const logprob = message.logprobs[i];
      if (logprob) response.logprobs.push(textLogprob(this.options.tokenizer, logprob));
      if (this.isStopToken(message, i)) continue;
      const delta = this.detokenizer.push(id);
      // No stop strings (the common case): the text passes straight through, no match object per token.
      if (this.stops.empty) {
        response.text += delta;
        continue;
      }
      const match = this.generated >= (this.options.minTokens ?? 0) ? this.stops.push(delta) : { text: this.stops.pass(delta) };
      response.text += match.text;
      if (match.stop !== undefined) return this.finish(response, FinishReason.FINISH_REASON_STOP, this.ownUsage(), match.stop);
    }
    if (message.finishReason === undefined) {
      // The running count on every message (stream_options.continuous_usage_stats reads it).
      response.usage = this.ownUsage();
      return { response, done: false };
    }
    // The stream ends: release an incomplete character and any held-back text.
    const tail = this.stops.push(this.detokenizer.flush());
    response.text += tail.text;
    if (tail.stop !== undefined) return this.finish(response, FinishReason.FINISH_REASON_STOP, this.ownUsage(), tail.stop);
    response.text += this.stops.flush();
    return this.finish(response, message.finishReason, message.usage ?? this.ownUsage());
  }

  /** True for the last token of a stream that a stop token ended (its text is not shown). */
  private isStopToken(message: GenerateResponse, i: number): boolean {
    if (this.options.includeStopStrInOutput || message.finishReason !== FinishReason.FINISH_REASON_STOP) return false;
    return i === message.tokenIds.length - 1 && (this.options.stopTokenIds ?? []).includes(message.tokenIds[i]);
  }

  /** Usage counted here, for a stream this side ended (a stop string) or one that came without it. */
  private ownUsage(): Usage {
    return { promptTokens: this.options.promptTokenIds.length, completionTokens: this.generated, cachedTokens: this.cachedTokens };
  }

  private finish(response: PreprocessResponse, reason: FinishReason, usage: Usage, stopString?: string): ProcessedOutput {
    this.finished = true;
    response.finishReason = reason;
    response.usage = usage;
    if (stopString !== undefined) response.stopString = stopString;
    return { response, done: true };
  }
}
