/**
 * The OpenAI REST gateway on node:http: node's own server gives direct control of SSE
 * flushing and of client disconnects, which is all a streaming gateway needs, without a
 * framework's buffering or a new dependency. Routes are few and fixed.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { InvalidArgumentError, ModelNotFoundError } from "#common/errors.js";
import { deadlineServerOptions, enforceBodyDeadline, judgeHeaderTimeoutsFairly } from "./deadlines.js";
import { HttpDrain } from "./drain.js";
import type { ServedModels } from "../models.js";
import type { ScrapeTargets } from "../scrape-targets.js";
import type { ApiKeyGuard } from "./auth.js";
import { handleCompletion } from "./completion-handler.js";
import { handleResponses } from "./responses-handler.js";
import type { CompletionDeps } from "./completion-handler.js";
import type { CorsPolicy } from "./cors.js";
import { sendError, sendJson } from "./respond.js";
import { handleTokenize } from "./tokenize-handler.js";

/** What the gateway serves from. */
export interface HttpDeps extends CompletionDeps {
  readonly catalog: ServedModels;
  /** Every service's metrics endpoint, listed in /health. */
  readonly scrapeTargets: ScrapeTargets;
  readonly registry: Registry;
  /** Preprocessor replicas live now. */
  readonly preprocessorCount: () => number;
  /** False once shutdown began (health turns 503). */
  readonly accepting: () => boolean;
  /** --request-timeout: also the deadline for a request's headers (at most 60 s) and body. */
  readonly requestTimeoutMs: number;
  /** --api-key. */
  readonly guard: ApiKeyGuard;
  /** --allowed-origins. */
  readonly cors: CorsPolicy;
}

/** A listening gateway. */
export interface HttpGateway {
  readonly port: number;
  readonly server: Server;
  /** HTTP requests in flight now. */
  readonly inFlight: () => number;
  /** Drains (drain.ts): stops accepting, waits up to `graceMs` for open responses, then closes them. */
  close(graceMs: number): Promise<void>;
}

function modelJson(m: { id: string; created: number; instances: number; contextLength: number }): object {
  return { id: m.id, object: "model", created: m.created, owned_by: "kvmesh", max_model_len: m.contextLength, instances: m.instances };
}

/** A percent-encoded path segment, or undefined when it is malformed (`%ZZ`, a broken UTF-8 sequence). */
function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

async function route(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  const method = req.method ?? "GET";
  if (deps.cors.apply(req, res)) return; // a preflight, answered before auth (browsers send no key on it)
  if (deps.guard.guards(path)) {
    try {
      deps.guard.check(req.headers.authorization);
    } catch (err) {
      sendError(res, err);
      return;
    }
  }
  if (method === "POST" && path === "/v1/chat/completions") return handleCompletion("chat", req, res, deps);
  if (method === "POST" && path === "/v1/completions") return handleCompletion("completions", req, res, deps);
  if (method === "POST" && path === "/v1/responses") return handleResponses(req, res, deps);
  if (method === "POST" && path === "/tokenize") return handleTokenize("tokenize", req, res, deps);
  if (method === "POST" && path === "/detokenize") return handleTokenize("detokenize", req, res, deps);
  if (method === "GET" && path === "/v1/models") return sendJson(res, 200, { object: "list", data: deps.catalog.list().map(modelJson) });
  if (method === "GET" && path.startsWith("/v1/models/")) {
    const id = decodePathSegment(path.slice("/v1/models/".length));
    if (id === undefined) return void sendError(res, new InvalidArgumentError("the model id in the URL is not valid percent-encoding", { param: "model" }));
    const model = deps.catalog.get(id);
    if (!model) return void sendError(res, new ModelNotFoundError(`the model '${id}' does not exist`, { param: "model" }));
    return sendJson(res, 200, modelJson(model));
  }
  if (method === "GET" && path === "/live") return sendJson(res, 200, { status: "live" });
  if (method === "GET" && path === "/health") return health(res, deps);
  if (method === "GET" && path === "/metrics") {
    const text = await deps.registry.metrics();
    res.writeHead(200, { "content-type": deps.registry.contentType }).end(text);
    return;
  }
  sendJson(res, 404, { error: { message: `no route for ${method} ${path}`, type: "invalid_request_error", param: null, code: null } });
}

/** Ready: accepting, a preprocessor and a router are live, and at least one model has a worker. */
function health(res: ServerResponse, deps: HttpDeps): void {
  const models = deps.catalog.list().map((m) => ({ id: m.id, instances: m.instances }));
  const preprocessors = deps.preprocessorCount();
  const routers = deps.catalog.routerCount;
  const ready = deps.accepting() && preprocessors > 0 && routers > 0 && models.length > 0 && models.every((m) => m.instances > 0);
  sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not_ready", models, preprocessors, routers, metrics: deps.scrapeTargets.list() });
}

/** Pending connections the kernel may queue before the event loop accepts them. */
const LISTEN_BACKLOG = 4096;

/** Starts the gateway on host:port. */
export async function startHttpGateway(host: string, port: number, deps: HttpDeps): Promise<HttpGateway> {
  const server = createServer(deadlineServerOptions(deps.requestTimeoutMs), (req, res) => {
    if (!drain.admit(req, res)) return;
    enforceBodyDeadline(req, res, deps.requestTimeoutMs, deps.log);
    route(req, res, deps).catch((err: unknown) => {
      deps.log.error({ err }, "http handler failed");
      sendError(res, err);
    });
  });
  judgeHeaderTimeoutsFairly(server);
  const drain = new HttpDrain(server, deps.log);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A burst of thousands of new connections must not overflow the accept queue (node's default
    // backlog is 511): the kernel caps this at net.core.somaxconn.
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    inFlight: () => drain.inFlight,
    close: (graceMs) => drain.drain(graceMs),
  };
}
