/**
 * POST /tokenize and POST /detokenize (vLLM's shapes): parse, ask a preprocessor, answer JSON.
 * Errors take the one mapping (400 with `param`, 404 for an unknown model).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseDetokenizeRequest, parseTokenizeRequest, tokenizeJson } from "../openai/tokenize-schemas.js";
import { readJsonBody } from "./body.js";
import type { CompletionDeps } from "./completion-handler.js";
import { sendError, sendJson } from "./respond.js";

/** Handles /tokenize (`kind` tokenize) or /detokenize. */
export async function handleTokenize(kind: "tokenize" | "detokenize", req: IncomingMessage, res: ServerResponse, deps: CompletionDeps): Promise<void> {
  const requestId = (req.headers["x-request-id"] as string | undefined) || randomUUID();
  let status = 200;
  try {
    const body = await readJsonBody(req, deps.maxBodyBytes);
    if (kind === "tokenize") {
      const response = await deps.pipeline.tokenize(parseTokenizeRequest(body), requestId);
      sendJson(res, 200, tokenizeJson(response));
    } else {
      const response = await deps.pipeline.detokenize(parseDetokenizeRequest(body), requestId);
      sendJson(res, 200, { prompt: response.text });
    }
  } catch (err) {
    status = sendError(res, err);
    if (status >= 500) deps.log.child({ request_id: requestId }).warn({ err: String(err) }, `${kind} failed`);
  } finally {
    deps.metrics.requests.inc({ endpoint: kind, model: "", status: String(status) });
  }
}
