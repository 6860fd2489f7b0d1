/**
 * Server-sent events as OpenAI streams them: `data: <json>\n\n` per chunk, `data: [DONE]`
 * last; an error after the stream started is one `data: {"error":...}` then `[DONE]` (as vLLM).
 */
import type { ServerResponse } from "node:http";
import { whenDrained } from "#common/backpressure.js";

const SENT: Promise<void> = Promise.resolve();

/**
 * Writes SSE frames to one response, with backpressure (a slow reader is waited for, not
 * buffered without bound). Frames written in the same turn of the event loop leave in one
 * socket write: the response is corked at the first frame and uncorked on the next tick. A
 * message from the preprocessor often carries several events (headers, the chunk, the usage
 * chunk, `[DONE]` and the end when its last token and the finish came together); a 1-token
 * response took 2 socket writes, now 1 (writev was 12% of the frontend's CPU in bench:mesh's
 * 1-token profile).
 */
export class SseWriter {
  private corked = false;

  constructor(private readonly res: ServerResponse) {}

  /** Sends the headers; `extra` adds e.g. x-kvmesh-worker-id. */
  open(extra: Record<string, string>): void {
    this.holdForThisTick();
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
    return this.write(`data: ${json}\n\n`);
  }

  /** One named event (the Responses API's `event: <type>` frames); resolves as send() does. */
  event(type: string, json: object): Promise<void> {
    return this.write(`event: ${type}\ndata: ${JSON.stringify(json)}\n\n`);
  }

  /** The end of the response without `[DONE]` (the Responses API ends with its last event). */
  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }

  /** `[DONE]` and the end of the response (end() sends everything still corked). */
  done(): void {
    if (this.res.writableEnded) return;
    this.res.end("data: [DONE]\n\n");
  }

  private write(frame: string): Promise<void> {
    if (this.res.writableEnded || this.res.destroyed) return SENT;
    this.holdForThisTick();
    return this.res.write(frame) ? SENT : whenDrained(this.res);
  }

  /** Corks the response until the next tick, so this tick's frames leave in one write. */
  private holdForThisTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    process.nextTick(() => {
      this.corked = false;
      // end() uncorks fully; after it the socket may already serve the next request.
      if (!this.res.writableEnded) this.res.uncork();
    });
  }
}
