/**
 * A loopback stand-in for the frontend: the OpenAI routes the load generator uses, answered at
 * once (every token of a stream written in one go). Two uses: measuring the client's own
 * ceiling, and exercising `kvmesh bench` and `compare` end to end in tests.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { PrefixCacheSim } from "./prefix-cache-sim.js";

/** What the stand-in serves. */
export interface StandinOptions {
  readonly model: string;
  readonly maxModelLen: number;
  /** Absent: no cache simulated, cached_tokens is 0 and every request names `standin-0`. */
  readonly sim?: PrefixCacheSim;
}

/** A listening stand-in. */
export interface StandinServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

function badRequest(res: ServerResponse, message: string, code: string | null = null): void {
  json(res, 400, { error: { message, type: "invalid_request_error", param: null, code } });
}

/** The SSE text of a whole stream of `n` tokens. */
export function streamText(model: string, n: number, usage: object, workerId: string): string {
  const base = { id: "cmpl-standin", object: "text_completion", created: 0, model };
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const chunk = { ...base, choices: [{ index: 0, text: " x", logprobs: null, finish_reason: last ? "length" : null }], ...(last ? { kvmesh: { worker_id: workerId, migrations: 0 } } : {}) };
    parts.push(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  parts.push(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`, "data: [DONE]\n\n");
  return parts.join("");
}

function complete(req: IncomingMessage, res: ServerResponse, options: StandinOptions): void {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    let body: { prompt?: unknown; max_tokens?: unknown; stream?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
    } catch {
      return badRequest(res, "malformed JSON");
    }
    const prompt = body.prompt;
    if (!Array.isArray(prompt) || prompt.length === 0 || !prompt.every((t) => Number.isInteger(t))) return badRequest(res, "'prompt' must be a list of token ids");
    const maxTokens = body.max_tokens;
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1) return badRequest(res, "'max_tokens' must be a positive integer");
    if (body.stream !== true) return badRequest(res, "the stand-in only streams", "unsupported_parameter");
    const n = maxTokens as number;
    if (prompt.length + n > options.maxModelLen) return badRequest(res, `prompt + max_tokens exceed ${options.maxModelLen}`, "context_length_exceeded");
    const decision = options.sim?.route(prompt as number[]) ?? { workerId: "standin-0", cachedTokens: 0 };
    const usage = { prompt_tokens: prompt.length, completion_tokens: n, total_tokens: prompt.length + n, prompt_tokens_details: { cached_tokens: decision.cachedTokens } };
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-kvmesh-worker-id": decision.workerId });
    res.end(streamText(options.model, n, usage, decision.workerId));
  });
}

/** Starts the stand-in on 127.0.0.1:`port` (0: ephemeral). */
export async function startStandin(options: StandinOptions, port = 0): Promise<StandinServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "POST" && path === "/v1/completions") return complete(req, res, options);
    if (req.method === "GET" && path === "/v1/models") {
      return json(res, 200, { object: "list", data: [{ id: options.model, object: "model", created: 0, owned_by: "kvmesh-standin", max_model_len: options.maxModelLen }] });
    }
    if (req.method === "GET" && (path === "/health" || path === "/live")) return json(res, 200, { status: "healthy" });
    json(res, 404, { error: { message: `no route for ${req.method} ${path}`, type: "invalid_request_error", param: null, code: null } });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
