/**
 * Server-sent events as OpenAI streams them: `data: <json>\n\n` per chunk, `data: [DONE]`
 * last; an error after the stream started is one `data: {"error":...}` then `[DONE]` (as vLLM).
 */
import type { ServerResponse } from "node:http";
import { whenDrained } from "#common/backpressure.js";

/** Writes SSE frames to one response, with backpressure (a slow reader is waited for, not buffered without bound). */
export class SseWriter {
  constructor(private readonly res: ServerResponse) {}

  /** Sends the headers; `extra` adds e.g. x-kvmesh-worker-id. */
  open(extra: Record<string, string>): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      // Proxies (envoy, nginx) must pass tokens through as they come.
      "x-accel-buffering": "no",
      ...extra,
    });
    this.res.flushHeaders();
  }

  /** One JSON event; resolves when the socket can take more (or the client is gone). */
  send(json: object): Promise<void> {
    return this.sendText(JSON.stringify(json));
  }

  /** One event of JSON text already serialised; resolves as send() does. */
  sendText(json: string): Promise<void> {
    if (this.res.writableEnded || this.res.destroyed) return Promise.resolve();
    return this.res.write(`data: ${json}\n\n`) ? Promise.resolve() : whenDrained(this.res);
  }

  /** One named event (the Responses API's `event: <type>` frames); resolves as send() does. */
  event(type: string, json: object): Promise<void> {
    if (this.res.writableEnded || this.res.destroyed) return Promise.resolve();
    return this.res.write(`event: ${type}\ndata: ${JSON.stringify(json)}\n\n`) ? Promise.resolve() : whenDrained(this.res);
  }

  /** The end of the response without `[DONE]` (the Responses API ends with its last event). */
  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }

  /** `[DONE]` and the end of the response. */
  done(): void {
    if (this.res.writableEnded) return;
    this.res.write("data: [DONE]\n\n");
    this.res.end();
  }
}
