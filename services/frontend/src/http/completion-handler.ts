/**
 * POST /v1/chat/completions and /v1/completions: parse, run the pipeline, answer as one JSON
 * response or as SSE. Headers wait for the first message, so an error before the first token
 * is a plain HTTP error and the header names the worker; after that errors go in-stream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { Logger } from "#common/logger.js";
import type { FrontendMetrics } from "../metrics.js";
import type { RequestTimer } from "../metrics.js";
import type { ServedModels } from "../models.js";
import { ChunkText } from "../openai/chunk-text.js";
import { usageChunkJson, wholeResponseJson } from "../openai/responses.js";
import type { ResponseMeta } from "../openai/responses.js";
import { parseChatRequest, parseCompletionRequest } from "../openai/schemas.js";
import type { ParsedRequest } from "../openai/schemas.js";
import { SseWriter } from "../openai/sse.js";
import type { Pipeline } from "../pipeline.js";
import { finishRequest, startRequest } from "./request-run.js";
import { httpErrorFor, sendJson } from "./respond.js";

/** What the handler needs. */
export interface CompletionDeps {
  readonly pipeline: Pipeline;
  readonly metrics: FrontendMetrics;
  readonly log: Logger;
  readonly maxBodyBytes: number;
  /** The served models: only their names become metric labels. */
  readonly catalog: Pick<ServedModels, "get">;
}

/** The header naming the (first) serving worker. */
export const WORKER_HEADER = "x-kvmesh-worker-id";

/** Handles one completion request of `kind`. */
export async function handleCompletion(kind: "chat" | "completions", req: IncomingMessage, res: ServerResponse, deps: CompletionDeps): Promise<void> {
  const started = await startRequest(kind, req, res, deps, kind === "chat" ? parseChatRequest : parseCompletionRequest);
  if (!started) return;
  const { requestId, log, parsed, timer, signal } = started;
  const meta: ResponseMeta = { id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${requestId.replace(/-/g, "")}`, created: Math.floor(Date.now() / 1000), model: parsed.model, kind };
  // debug, not info: one synchronous stdout line per request was ~8% of the frontend's CPU in
  // bench:mesh's short-request profile (more when the log pipe's reader lags); requests are
  // counted in /metrics, and failures still log at warn.
  log.debug({ model: parsed.model, stream: parsed.stream, user: parsed.user }, "request");
  const stream = deps.pipeline.run({ requestId, ...parsed.request }, signal);
  await finishRequest(started, res, () => (parsed.stream ? streamResponse(res, stream, meta, parsed, timer) : wholeResponse(res, stream, meta, parsed, timer)));
}

async function wholeResponse(res: ServerResponse, stream: AsyncGenerator<PreprocessResponse>, meta: ResponseMeta, parsed: ParsedRequest, timer: RequestTimer): Promise<number> {
  const messages: PreprocessResponse[] = [];
  for await (const message of stream) {
    timer.tokensArrived(message.tokenIds.length);
    messages.push(message);
  }
  const first = messages.find((m) => m.workerId !== "")?.workerId ?? "";
  sendJson(res, 200, wholeResponseJson(meta, messages, parsed.topLogprobs !== undefined), first ? { [WORKER_HEADER]: first } : {});
  return 200;
}

async function streamResponse(res: ServerResponse, stream: AsyncGenerator<PreprocessResponse>, meta: ResponseMeta, parsed: ParsedRequest, timer: RequestTimer): Promise<number> {
  const sse = new SseWriter(res);
  const chunks = new ChunkText(meta);
  let first = true;
  let textOffset = 0;
  let sawToolCalls = false;
  try {
    for await (const message of stream) {
      timer.tokensArrived(message.tokenIds.length);
      if (first) sse.open(message.workerId ? { [WORKER_HEADER]: message.workerId } : {});
      sawToolCalls ||= message.toolCalls.length > 0;
      await sse.sendText(chunks.of(message, { first, logprobs: parsed.topLogprobs !== undefined, textOffset, sawToolCalls, usage: parsed.continuousUsage }));
      textOffset += message.text.length;
      first = false;
      if (message.finishReason !== undefined && parsed.includeUsage && message.usage) await sse.send(usageChunkJson(meta, message.usage));
    }
  } catch (err) {
    if (first) throw err; // nothing sent yet: a plain HTTP error
    const mapped = httpErrorFor(err);
    if (mapped) await sse.send(mapped.body);
    sse.done();
    return mapped?.status ?? 499;
  }
  if (first) sse.open({});
  sse.done();
  return 200;
}
