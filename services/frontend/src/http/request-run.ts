/**
 * What every OpenAI generation route (chat, completions, responses) does around its own
 * answer: the mesh's own request id (the client's x-request-id is a label, logged and echoed),
 * the body parsed (a rejection answered and counted under the `unknown` model), the metric
 * timer, the client's disconnect cancelling down to the worker, and the final status.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "#common/logger.js";
import { clientRequestId, newRequestId, REQUEST_ID_KEY } from "#common/request-id.js";
import { RequestTimer, UNKNOWN_MODEL_LABEL, modelLabel } from "../metrics.js";
import { readJsonBody } from "./body.js";
import type { Body } from "../openai/schemas.js";
import type { CompletionDeps } from "./completion-handler.js";
import { sendError } from "./respond.js";

/** A parsed request, ready to run. */
export interface StartedRequest<P> {
  readonly requestId: string;
  readonly log: Logger;
  readonly parsed: P;
  readonly timer: RequestTimer;
  /** Aborted when the client goes away before the response is finished. */
  readonly signal: AbortSignal;
}

/** Ids, parse, timer and cancellation; undefined when the request was already answered with an error. */
export async function startRequest<P extends { model: string }>(
  endpoint: string, req: IncomingMessage, res: ServerResponse, deps: CompletionDeps, parse: (body: Body) => P,
): Promise<StartedRequest<P> | undefined> {
  const requestId = newRequestId();
  res.setHeader(REQUEST_ID_KEY, requestId);
  let log = deps.log.child({ request_id: requestId });
  let parsed: P;
  try {
    const clientId = clientRequestId(req.headers[REQUEST_ID_KEY]);
    if (clientId !== undefined) {
      res.setHeader(REQUEST_ID_KEY, clientId);
      log = log.child({ client_request_id: clientId });
    }
    parsed = parse(await readJsonBody(req, deps.maxBodyBytes));
  } catch (err) {
    const status = sendError(res, err);
    deps.metrics.requests.inc({ endpoint, model: UNKNOWN_MODEL_LABEL, status: String(status) });
    return undefined;
  }
  const timer = new RequestTimer(deps.metrics, endpoint, modelLabel(parsed.model, (id) => deps.catalog.get(id) !== undefined));
  const controller = new AbortController();
  // The client went away: cancel down to the worker.
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return { requestId, log, parsed, timer, signal: controller.signal };
}

/**
 * Runs `answer` (resolving with the HTTP status it sent) and records the final status: an
 * error before any header is answered as one (499 when the client had already left), a
 * cancelled stream counts as 499, 5xx are logged.
 */
export async function finishRequest(started: StartedRequest<unknown>, res: ServerResponse, answer: () => Promise<number>): Promise<void> {
  const { signal, log, timer } = started;
  let status = 200;
  try {
    status = await answer();
  } catch (err) {
    status = signal.aborted && !res.headersSent ? 499 : sendError(res, err);
    if (status >= 500) log.warn({ err: String(err) }, "request failed");
  } finally {
    if (signal.aborted && status === 200) status = 499;
    timer.finish(status);
  }
}
