/**
 * POST /v1/responses (stateless): parse, run the chat pipeline, answer with the Responses
 * object or its event stream. As for chat, headers wait for the first message: an error before
 * it is a plain HTTP error; after it, an `error` event ends the stream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { clientRequestId, newRequestId, REQUEST_ID_KEY } from "#common/request-id.js";
import { RequestTimer, UNKNOWN_MODEL_LABEL, modelLabel } from "../metrics.js";
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
  // As for chat: our own id keys the request in the mesh; the client's is a label, logged and echoed.
  const requestId = newRequestId();
  res.setHeader(REQUEST_ID_KEY, requestId);
  let log = deps.log.child({ request_id: requestId });
  let parsed: ParsedResponsesRequest;
  try {
    const clientId = clientRequestId(req.headers[REQUEST_ID_KEY]);
    if (clientId !== undefined) {
      res.setHeader(REQUEST_ID_KEY, clientId);
      log = log.child({ client_request_id: clientId });
    }
    parsed = parseResponsesRequest(await readJsonBody(req, deps.maxBodyBytes));
  } catch (err) {
    const status = sendError(res, err);
    deps.metrics.requests.inc({ endpoint: "responses", model: UNKNOWN_MODEL_LABEL, status: String(status) });
    return;
  }
  const timer = new RequestTimer(deps.metrics, "responses", modelLabel(parsed.model, (id) => deps.catalog.get(id) !== undefined));
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
