/**
 * One streamed POST /v1/completions with a token-id prompt, timed. node:http with a keep-alive
 * agent rather than fetch: less per-request overhead, which raises the client's own ceiling.
 */
import { Agent, request } from "node:http";
import { httpErrorKind, readChunk } from "./chunk.js";
import type { RoutingInfo } from "./chunk.js";
import { createSseParser } from "./sse-parser.js";

/** A request's measured outcome (times relative to its send). */
export interface CompletionOutcome {
  readonly ttftMs?: number;
  readonly itlMs: number[];
  readonly e2eMs: number;
  readonly outputTokens: number;
  readonly cachedTokens: number;
  readonly promptTokens?: number;
  readonly workerId?: string;
  /** The routing record, when the server sent one. */
  readonly routing?: RoutingInfo;
  readonly error?: string;
}

/** Where and how to send. */
export interface CompletionTarget {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  readonly model: string;
  readonly agent: Agent;
  /** Monotonic ms clock. */
  readonly now: () => number;
  readonly timeoutMs: number;
}

/** A keep-alive agent without a socket cap (the scheduler bounds concurrency itself). */
export function createAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: Infinity });
}

/** The OpenAI body: token ids, exactly `maxTokens` out (ignore_eos), usage at the end. */
export function completionBody(model: string, prompt: readonly number[], maxTokens: number): string {
  return JSON.stringify({ model, prompt, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true }, ignore_eos: true });
}

/**
 * One inter-token gap per output token after the first, from the gaps between chunks: a chunk
 * may carry several tokens (the mesh joins tokens that were already waiting into one), and
 * the tokens after a chunk's first arrived with it, 0 ms after the one before. Without the
 * usage count, every chunk is taken for one token.
 */
export function perTokenGaps(chunkGaps: readonly number[], chunks: number, outputTokens: number | undefined): number[] {
  const together = outputTokens === undefined ? 0 : Math.max(0, outputTokens - chunks);
  return [...chunkGaps, ...new Array<number>(together).fill(0)];
}

/** Errors of a reused keep-alive socket that the server closed as idle just as it was reused. */
const STALE_SOCKET = new Set(["ECONNRESET", "EPIPE"]);

/**
 * The pooled keep-alive agent for a first attempt; for the retry a connection of its own
 * (`false`: node makes a one-off agent). The pool may hold more sockets the server closed in the
 * same instant (after a burst, many go idle together), and a retry on one of them fails the
 * same way.
 */
export function agentFor(pooled: Agent, firstAttempt: boolean): Agent | false {
  return firstAttempt ? pooled : false;
}

/**
 * Sends one request; never rejects (failures come back as `error`). A request that fails on a
 * reused keep-alive socket before any response byte is sent once more on a fresh one (Node's
 * documented remedy): that race is the client's, and would otherwise count as a server error.
 * Times still run from the first attempt.
 */
export function sendCompletion(target: CompletionTarget, prompt: readonly number[], maxTokens: number): Promise<CompletionOutcome> {
  const body = completionBody(target.model, prompt, maxTokens);
  return attempt(target, body, target.now(), true);
}

function attempt(target: CompletionTarget, body: string, t0: number, mayRetry: boolean): Promise<CompletionOutcome> {
  const { now } = target;
  return new Promise((resolve) => {
    let responded = false;
    let settled = false;
    let ttftMs: number | undefined;
    let last = 0;
    let chunks = 0;
    const itlMs: number[] = [];
    const usage: { completion?: number; prompt?: number; cached?: number; worker?: string; routing?: RoutingInfo } = {};
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      resolve({
        ttftMs, itlMs: perTokenGaps(itlMs, chunks, usage.completion), e2eMs: now() - t0, outputTokens: usage.completion ?? chunks, cachedTokens: usage.cached ?? 0,
        promptTokens: usage.prompt, workerId: usage.worker, ...(usage.routing ? { routing: usage.routing } : {}), ...(error === undefined ? {} : { error }),
      });
    };
    const req = request(`${target.url}/v1/completions`, {
      method: "POST",
      agent: agentFor(target.agent, mayRetry),
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), accept: "text/event-stream" },
    }, (res) => {
      responded = true;
      res.setEncoding("utf8");
      if (res.statusCode !== 200) {
        let text = "";
        res.on("data", (c: string) => (text += c));
        res.on("end", () => finish(httpErrorKind(res.statusCode ?? 0, text)));
        res.on("error", () => finish(`http_${res.statusCode}`));
        return;
      }
      const parser = createSseParser();
      let done = false;
      res.on("data", (text: string) => {
        for (const data of parser.push(text)) {
          if (data === "[DONE]") {
            done = true;
            continue;
          }
          const info = readChunk(data);
          if (info.error !== undefined) return finish(`stream:${info.error}`);
          if (info.token) {
            const t = now() - t0;
            if (ttftMs === undefined) ttftMs = t;
            else itlMs.push(t - last);
            last = t;
            chunks++;
          }
          if (info.completionTokens !== undefined) usage.completion = info.completionTokens;
          if (info.promptTokens !== undefined) usage.prompt = info.promptTokens;
          if (info.cachedTokens !== undefined) usage.cached = info.cachedTokens;
          if (info.workerId !== undefined) usage.worker = info.workerId;
          if (info.routing !== undefined) usage.routing = info.routing;
        }
      });
      res.on("end", () => finish(done ? undefined : "stream:truncated"));
      // After the response began, a reset is the stream's failure, not a connection race.
      res.on("error", (err: NodeJS.ErrnoException) => finish(`stream:${err.code ?? err.name}`));
    });
    req.setTimeout(target.timeoutMs, () => {
      req.destroy();
      finish("timeout");
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (mayRetry && !responded && !settled && req.reusedSocket && STALE_SOCKET.has(err.code ?? "")) {
        settled = true;
        resolve(attempt(target, body, t0, false));
        return;
      }
      finish(`network:${err.code ?? err.name}`);
    });
    req.end(body);
  });
}
