/**
 * Header and body deadlines of the REST gateway, so a client that sends a request one byte at a
 * time cannot hold a socket (and its buffers) open forever. node:http enforces the header
 * deadline (`headersTimeout`), but only when its connection check runs (every 30 s by default,
 * here at most every second). The body deadline is ours, not node's `requestTimeout`: that one
 * answers a bare 408 without the OpenAI error body, and it judges a request by the clock alone,
 * so an event loop stalled past the deadline (a loaded machine) cuts requests whose bytes have
 * already arrived; ours looks at the socket's pending data first. node's header check has the same
 * flaw (a fresh connection accepted just before a stall is judged before its bytes are read), so
 * `judgeHeaderTimeoutsFairly` lets the loop read once more before the 408 goes out.
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from "node:http";
import type { Socket } from "node:net";
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
  return { headersTimeout, requestTimeout: 0, connectionsCheckingInterval };
}

/**
 * Gives `req` until `deadlineMs` after its headers to deliver its whole body; past that it gets
 * 408 (OpenAI error JSON, `code: request_timeout`) and its socket is closed.
 */
export function enforceBodyDeadline(req: IncomingMessage, res: ServerResponse, deadlineMs: number, log: Logger): void {
  if (req.complete) return;
  // setImmediate: past the timer, let the loop read what the socket already holds, then judge.
  const timer = setTimeout(() => setImmediate(() => {
    if (req.complete || res.writableEnded) return;
    log.warn({ deadline_ms: deadlineMs, method: req.method, url: req.url }, "request body not received in time: closing the connection");
    const socket = req.socket;
    if (res.headersSent) return void socket.destroy();
    const mapped = httpErrorOf(new InvalidArgumentError(`the request body did not arrive within ${deadlineMs} ms`))!;
    const text = JSON.stringify({ error: { ...mapped.body.error, code: "request_timeout" } });
    res.once("finish", () => socket.destroy());
    res.writeHead(408, { "content-type": "application/json", "content-length": Buffer.byteLength(text), connection: "close" }).end(text);
  }), deadlineMs);
  timer.unref();
  const clear = (): void => clearTimeout(timer);
  req.once("end", clear);
  res.once("close", clear);
}

/** node's own answers to the client errors it would send without a `clientError` listener. */
const CLIENT_ERROR_RESPONSES: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n",
  ERR_HTTP_REQUEST_TIMEOUT: "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
};
const BAD_REQUEST_RESPONSE = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";

/** Requests whose headers a socket has delivered, so a header timeout can tell if one arrived since. */
const requestsSeen = new WeakMap<Socket, number>();

/**
 * node judges the header deadline by the clock alone: after an event loop stall its connection
 * check runs before the loop reads sockets, so a connection whose whole request already sits in
 * the kernel gets a bare 408. This `clientError` listener waits one turn (setImmediate: past the
 * poll phase that reads those bytes) and answers 408 only if no new request's headers arrived;
 * every other client error gets node's own answer.
 */
export function judgeHeaderTimeoutsFairly(server: Server): void {
  server.on("request", (req: IncomingMessage) => requestsSeen.set(req.socket, (requestsSeen.get(req.socket) ?? 0) + 1));
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    const answer = (): void => {
      const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (socket.writable && !inFlight?.headersSent) socket.write(CLIENT_ERROR_RESPONSES[err.code ?? ""] ?? BAD_REQUEST_RESPONSE);
      socket.destroy(err);
    };
    if (err.code !== "ERR_HTTP_REQUEST_TIMEOUT") return answer();
    const seen = requestsSeen.get(socket) ?? 0;
    setImmediate(() => {
      // Headers arrived in the meantime: the request goes on (node checks again at its next interval).
      if (socket.destroyed || (requestsSeen.get(socket) ?? 0) !== seen) return;
      answer();
    });
  });
}
