/**
 * One streamed completion for the soak, classified the way the soak reports it: the HTTP
 * status (with whether a 503 carried Retry-After), and for a 200 whether the stream ended
 * with `[DONE]` and no error event.
 */
import { request } from "node:http";
import type { Agent } from "node:http";
import { readChunk } from "../loadgen/chunk.js";
import { agentFor } from "../loadgen/completion-client.js";
import { createSseParser } from "../loadgen/sse-parser.js";

/** How a request ended: `200`, `200:stream_error:<code>`, `503+retry-after:overloaded`, `500:server_error`, `network:<code>`... */
export type SoakOutcome = string;

/** Errors of a reused keep-alive socket that the server closed as idle just as it was reused. */
const STALE_SOCKET = new Set(["ECONNRESET", "EPIPE"]);

/**
 * Sends `body` to `${url}/v1/completions`; never rejects. As in the load generator, a request
 * that fails on a reused keep-alive socket before any response byte is sent once more on a
 * fresh connection (agentFor): that race is the client's, not the server's.
 */
export function soakRequest(url: string, agent: Agent, body: string, timeoutMs: number, mayRetry = true): Promise<SoakOutcome> {
  return new Promise((resolve) => {
    let responded = false;
    let settled = false;
    const finish = (outcome: SoakOutcome): void => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const req = request(`${url}/v1/completions`, {
      method: "POST", agent: agentFor(agent, mayRetry),
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), accept: "text/event-stream" },
    }, (res) => {
      responded = true;
      const status = res.statusCode ?? 0;
      res.setEncoding("utf8");
      if (status !== 200) {
        const retry = res.headers["retry-after"] !== undefined ? "+retry-after" : "";
        let text = "";
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => finish(`${status}${retry}:${errorCode(text)}`));
        res.on("error", () => finish(`${status}${retry}`));
        return;
      }
      const parser = createSseParser();
      let done = false;
      let error: string | undefined;
      res.on("data", (text: string) => {
        for (const data of parser.push(text)) {
          if (data === "[DONE]") done = true;
          else error ??= readChunk(data).error;
        }
      });
      res.on("end", () => finish(error ? `200:stream_error:${error}` : done ? "200" : "200:truncated"));
      res.on("error", (err: NodeJS.ErrnoException) => finish(`200:reset:${err.code ?? err.name}`));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      finish("timeout");
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (mayRetry && !responded && !settled && req.reusedSocket && STALE_SOCKET.has(err.code ?? "")) {
        settled = true;
        resolve(soakRequest(url, agent, body, timeoutMs, false));
        return;
      }
      finish(`network:${err.code ?? err.name}`);
    });
    req.end(body);
  });
}

/** The OpenAI error's code (else type) of an error body. */
function errorCode(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: { code?: string | null; type?: string } };
    return json.error?.code ?? json.error?.type ?? "unknown";
  } catch {
    return "not_json";
  }
}
