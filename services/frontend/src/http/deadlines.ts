/**
 * Header and body deadlines of the REST gateway, so a client that sends a request one byte at a
 * time cannot hold a socket (and its buffers) open forever. node:http enforces the header
 * deadline (`headersTimeout`) and the whole-request deadline (`requestTimeout`, until the body
 * has arrived — never the response, so SSE streams are not cut), but only when its connection
 * check runs (every 30 s by default); the explicit body deadline below closes the socket on time.
 */
import type { IncomingMessage, ServerOptions, ServerResponse } from "node:http";
import { InvalidArgumentError } from "#common/errors.js";
import type { Logger } from "#common/logger.js";
import { httpErrorOf } from "#common/http-errors.js";

/** Longest wait for a request's headers, whatever --request-timeout says. */
export const MAX_HEADERS_TIMEOUT_MS = 60_000;

/** node:http server options for a gateway whose requests may take `requestTimeoutMs`. */
export function deadlineServerOptions(requestTimeoutMs: number): ServerOptions {
  const headersTimeout = Math.min(MAX_HEADERS_TIMEOUT_MS, requestTimeoutMs);
  // Checked at a quarter of the header deadline (at most 1 s), so it closes sockets roughly on time.
  const connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4)));
  return { headersTimeout, requestTimeout: requestTimeoutMs, connectionsCheckingInterval };
}

/**
 * Gives `req` until `deadlineMs` after its headers to deliver its whole body; past that it gets
 * 408 (OpenAI error JSON, `code: request_timeout`) and its socket is closed.
 */
export function enforceBodyDeadline(req: IncomingMessage, res: ServerResponse, deadlineMs: number, log: Logger): void {
  if (req.complete) return;
  const timer = setTimeout(() => {
    if (req.complete) return;
    log.warn({ deadline_ms: deadlineMs, method: req.method, url: req.url }, "request body not received in time: closing the connection");
    const socket = req.socket;
    if (res.headersSent) return void socket.destroy();
    const mapped = httpErrorOf(new InvalidArgumentError(`the request body did not arrive within ${deadlineMs} ms`))!;
    const text = JSON.stringify({ error: { ...mapped.body.error, code: "request_timeout" } });
    res.once("finish", () => socket.destroy());
    res.writeHead(408, { "content-type": "application/json", "content-length": Buffer.byteLength(text), connection: "close" }).end(text);
  }, deadlineMs);
  timer.unref();
  const clear = (): void => clearTimeout(timer);
  req.once("end", clear);
  res.once("close", clear);
}
