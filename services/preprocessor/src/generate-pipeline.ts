/**
 * One Generate request end to end, without the gRPC server types: model assets from the
 * catalog, the upstream request (prompt, context check, defaults), the router stream, and the
 * output processor turning tokens into text until the stream or a stop string ends it.
 */
import { InternalError } from "#common/errors.js";
import type { Deadline } from "@grpc/grpc-js";
import type { Logger } from "#common/logger.js";
import type { PreprocessRequest, PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { ModelAssets } from "./model-assets.js";
import { parserNeedsSpecialTokens, structuredOutputFor } from "./parsers/structured-output.js";
import type { ParserConfig } from "./parsers/structured-output.js";
import { prepareGenerate } from "./request/upstream-request.js";
import { OutputProcessor } from "./stream/output-processor.js";
import { routerGenerate } from "./upstream/router-stream.js";
import type { RouterPool } from "./upstream/router-stream.js";

/** What the pipeline needs from the rest of the service. */
export interface PipelineDeps {
  catalog: { get(model: string): Promise<ModelAssets> };
  routers: RouterPool;
  /** --tool-call-parser and --reasoning-parser (none when absent). */
  parsers?: ParserConfig;
}

/** One request's context. */
export interface PipelineCall {
  request: PreprocessRequest;
  requestId: string;
  log: Logger;
  deadline?: Deadline;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Sends one message (resolves when the transport can take more). */
  write(response: PreprocessResponse): Promise<void>;
}

/** Runs the request; resolves after the last message was written (or the client left). */
export async function runGenerate(deps: PipelineDeps, call: PipelineCall): Promise<PreprocessResponse | undefined> {
  const { request, log } = call;
  const assets = await deps.catalog.get(request.model);
  const parsers = deps.parsers ?? {};
  const structured = structuredOutputFor(request, parsers);
  const prepared = await prepareGenerate(request, call.requestId, assets, call.signal);
  log.debug({ prompt_tokens: prepared.promptTokenIds.length, sampling: prepared.upstream.sampling, stop: prepared.upstream.stop }, "generate");
  const output = new OutputProcessor({
    tokenizer: assets.tokenizer,
    promptTokenIds: prepared.promptTokenIds,
    skipSpecialTokens: parserNeedsSpecialTokens(request, parsers) ? false : (request.skipSpecialTokens ?? true),
    stopStrings: request.stopStrings,
    includeStopStrInOutput: request.includeStopStrInOutput,
    stopTokenIds: [...assets.eosTokenIds, ...(request.stop?.stopTokenIds ?? [])],
    minTokens: request.stop?.minTokens,
  });
  const upstream = routerGenerate(deps.routers, prepared.upstream, {
    requestId: call.requestId,
    deadline: call.deadline,
    signal: call.signal,
    onRetry: (router) => log.warn({ router }, "router replica unavailable before the first token: trying another"),
  });
  try {
    for await (const message of upstream) {
      const { response, done } = output.push(message);
      structured.apply(response, done);
      await call.write(response);
      // Leaving the loop returns the generator, which cancels the router call (stop strings).
      if (done) return response;
    }
  } catch (err) {
    if (call.signal.aborted) return undefined;
    throw err;
  }
  if (call.signal.aborted) return undefined;
  throw new InternalError("the router stream ended without a finish reason");
}
