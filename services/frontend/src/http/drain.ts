/**
 * Graceful drain of the REST gateway on SIGTERM: count the requests in flight (SSE streams
 * included — the gRPC server's own count knows nothing of them), stop listening, close idle
 * keep-alive connections (again each time a response ends), answer any new request that still
 * arrives on a kept-alive connection with 503 and `connection: close`, and wait for the
 * requests in flight up to the grace period before cutting what is left.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { OverloadedError } from "#common/errors.js";
import type { Logger } from "#common/logger.js";
import { sendError } from "./respond.js";

/** Tracks the gateway's requests and drains them. */
export class HttpDrain {
  private readonly open = new Set<ServerResponse>();
  private draining = false;
  private settled: (() => void) | undefined;

  constructor(private readonly server: Server, private readonly log: Logger) {}

  /** Requests in flight now. */
  get inFlight(): number {
    return this.open.size;
  }

  /** Takes `req` in, or answers it with 503 while draining; false when refused. */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.draining) {
      res.setHeader("connection", "close");
      sendError(res, new OverloadedError("this frontend is shutting down: retry on another replica"));
      return false;
    }
    this.open.add(res);
    res.once("close", () => {
      this.open.delete(res);
      if (!this.draining) return;
      // A kept-alive connection whose response just ended is idle now: close it.
      setImmediate(() => this.server.closeIdleConnections());
      if (this.open.size === 0) this.settled?.();
    });
    return true;
  }

  /** Drains: resolves once every request ended (or was cut after `graceMs`) and the server closed. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const inFlight = this.open.size;
    this.log.info({ in_flight: inFlight, grace_ms: graceMs }, "draining http");
    // Responses not started yet say so; those already streaming end their connection when done.
    for (const res of this.open) if (!res.headersSent) res.setHeader("connection", "close");
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.open.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        new Promise<boolean>((resolve) => (this.settled = () => resolve(true))),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
      ]);
      clearTimeout(timer);
      if (!ended) this.log.warn({ in_flight: this.open.size }, "grace period over: closing the remaining http requests");
      else this.log.info({ drained: inFlight }, "http requests drained");
      if (!ended) this.server.closeAllConnections();
    }
    // Ended responses leave idle connections, closed without cutting a write; anything still
    // open a moment later is cut.
    this.server.closeIdleConnections();
    const cut = setTimeout(() => this.server.closeAllConnections(), 1000);
    await closed;
    clearTimeout(cut);
  }
}
