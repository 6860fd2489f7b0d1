/**
 * POST /v1/responses (stateless): parse, run the chat pipeline, answer with the Responses
 * object or its event stream. As for chat, headers wait for the first message: an error before
 * it is a plain HTTP error; after it, an `error` event ends the stream.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { RequestTimer } from "../metrics.js";
import { ResponseBuilder } from "../openai/responses-api/response-builder.js";
import { parseResponsesRequest } from "../openai/responses-api/request.js";
import type { ParsedResponsesRequest } from "../openai/responses-api/request.js";
import { SseWriter } from "../openai/sse.js";
import { readJsonBody } from "./body.js";
import type { CompletionDeps } from "./completion-handler.js";
import { WORKER_HEADER } from "./completion-handler.js";
import { httpErrorFor, sendError, sendJson } from "./respond.js";

/** Handles one Responses request. */
export async function handleResponses(req: IncomingMessage, res: ServerResponse, deps: CompletionDeps): Promise<void> {
  const requestId = (req.headers["x-request-id"] as string | undefined) || randomUUID();
  const log = deps.log.child({ request_id: requestId });
  let parsed: ParsedResponsesRequest;
  try {
    parsed = parseResponsesRequest(await readJsonBody(req, deps.maxBodyBytes));
  } catch (err) {
    const status = sendError(res, err);
    deps.metrics.requests.inc({ endpoint: "responses", model: "", status: String(status) });
    return;
  }
  const timer = new RequestTimer(deps.metrics, "responses", parsed.model);
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  log.info({ model: parsed.model, stream: parsed.stream }, "request");
  const builder = new ResponseBuilder(`resp_${requestId.replace(/-/g, "")}`, Math.floor(Date.now() / 1000), parsed);
  const stream = deps.pipeline.run({ requestId, ...parsed.request }, controller.signal);
  let status = 200;
  try {
    status = parsed.stream ? await streamEvents(res, stream, builder, timer) : await whole(res, stream, builder, timer);
  } catch (err) {
    status = controller.signal.aborted && !res.headersSent ? 499 : sendError(res, err);
    if (status >= 500) log.warn({ err: String(err) }, "request failed");
  } finally {
    if (controller.signal.aborted && status === 200) status = 499;
    timer.finish(status);
  }
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
  const send = (events: object[]): void => {
    for (const e of events) sse.event((e as { type: string }).type, e);
  };
  let first = true;
  try {
    for await (const message of stream) {
      timer.tokensArrived(message.tokenIds.length);
      if (first) {
        sse.open(message.workerId ? { [WORKER_HEADER]: message.workerId } : {});
        send(builder.start());
        first = false;
      }
      send(builder.push(message));
    }
  } catch (err) {
    if (first) throw err;
    const mapped = httpErrorFor(err);
    const error = (mapped?.body as { error?: { message?: string; code?: string | null; param?: string | null } } | undefined)?.error;
    sse.event("error", { type: "error", code: error?.code ?? null, message: error?.message ?? "stream failed", param: error?.param ?? null });
    sse.end();
    return mapped?.status ?? 499;
  }
  if (first) {
    sse.open({});
    send(builder.start());
  }
  send(builder.finish());
  sse.end();
  return 200;
}
