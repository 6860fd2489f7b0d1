/**
 * POST /v1/responses (stateless): parse, run the chat pipeline, answer with the Responses
 * object or its event stream. As for chat, headers wait for the first message: an error before
 * it is a plain HTTP error; after it, an `error` event ends the stream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { RequestTimer } from "../metrics.js";
import { ResponseBuilder } from "../openai/responses-api/response-builder.js";
import { parseResponsesRequest } from "../openai/responses-api/request.js";
import { SseWriter } from "../openai/sse.js";
import { finishRequest, startRequest } from "./request-run.js";
import type { CompletionDeps } from "./completion-handler.js";
import { WORKER_HEADER } from "./completion-handler.js";
import { httpErrorFor, sendJson } from "./respond.js";

/** Handles one Responses request. */
export async function handleResponses(req: IncomingMessage, res: ServerResponse, deps: CompletionDeps): Promise<void> {
  const started = await startRequest("responses", req, res, deps, parseResponsesRequest);
  if (!started) return;
  const { requestId, log, parsed, timer, signal } = started;
  log.debug({ model: parsed.model, stream: parsed.stream }, "request"); // debug: see completion-handler.ts
  const builder = new ResponseBuilder(`resp_${requestId.replace(/-/g, "")}`, Math.floor(Date.now() / 1000), parsed);
  const stream = deps.pipeline.run({ requestId, ...parsed.request }, signal);
  await finishRequest(started, res, () => (parsed.stream ? streamEvents(res, stream, builder, timer) : whole(res, stream, builder, timer)));
}

async function whole(res: ServerResponse, stream: AsyncGenerator<PreprocessResponse>, builder: ResponseBuilder, timer: RequestTimer): Promise<number> {
  let worker = "";
  for await (const message of stream) {
    timer.tokensArrived(message.tokenIds.length);
    worker ||= message.workerId;
    builder.push(message);
  }
  builder.finish();
  sendJson(res, 200, builder.object(builder.status()), worker ? { [WORKER_HEADER]: worker } : {});
  return 200;
}

async function streamEvents(res: ServerResponse, stream: AsyncGenerator<PreprocessResponse>, builder: ResponseBuilder, timer: RequestTimer): Promise<number> {
  const sse = new SseWriter(res);
  // Each event waits for the socket (backpressure), as chat's chunks do.
  const send = async (events: object[]): Promise<void> => {
    for (const e of events) await sse.event((e as { type: string }).type, e);
  };
  let first = true;
  try {
    for await (const message of stream) {
      timer.tokensArrived(message.tokenIds.length);
      if (first) {
        sse.open(message.workerId ? { [WORKER_HEADER]: message.workerId } : {});
        await send(builder.start());
        first = false;
      }
      await send(builder.push(message));
    }
  } catch (err) {
    if (first) throw err;
    const mapped = httpErrorFor(err);
    const error = (mapped?.body as { error?: { message?: string; code?: string | null; param?: string | null } } | undefined)?.error;
    await sse.event("error", { type: "error", code: error?.code ?? null, message: error?.message ?? "stream failed", param: error?.param ?? null });
    sse.end();
    return mapped?.status ?? 499;
  }
  if (first) {
    sse.open({});
    await send(builder.start());
  }
  await send(builder.finish());
  sse.end();
  return 200;
}
