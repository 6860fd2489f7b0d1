import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import Consul from "consul";
import type { ConsulHealthEntry } from "./consul-mapping.js";

/** The client type of the `consul` package. */
export type ConsulClient = Consul;

/** Default agent address, as in Consul's own CLI. */
const DEFAULT_CONSUL_URL = "http://127.0.0.1:8500";

/**
 * Deadline of every non-blocking agent call: a hung agent must not stall heartbeats (they run
 * one at a time) until the TTL runs out. Blocking queries set their own, longer timeout.
 */
export const CONSUL_REQUEST_TIMEOUT_MS = 5_000;

/** Client settings beyond the URL. */
export interface ConsulClientOptions {
  /** ACL token sent with every call (X-Consul-Token); unset: anonymous. */
  token?: string;
  /** Deadline of non-blocking calls (default {@link CONSUL_REQUEST_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/**
 * Builds a client for an agent URL such as `http://127.0.0.1:8500`; userinfo in the URL is
 * refused (it would be logged with the URL; use a token instead).
 */
export function createConsulClient(consulUrl: string | undefined, options: ConsulClientOptions = {}): ConsulClient {
  const url = new URL(consulUrl || DEFAULT_CONSUL_URL);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`--consul-url must be http(s)://host:port, got ${consulUrl}`);
  }
  if (url.username || url.password) throw new Error("--consul-url must not carry credentials; set CONSUL_HTTP_TOKEN");
  const secure = url.protocol === "https:";
  const defaults: Record<string, unknown> = { timeout: options.timeoutMs ?? CONSUL_REQUEST_TIMEOUT_MS };
  if (options.token) defaults.token = options.token;
  // Brackets of an IPv6 literal are URL syntax, not part of the host the socket connects to.
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Consul({ host, port: url.port ? Number(url.port) : 8500, secure, defaults } as never);
}

/**
 * Cancels in-flight requests of one watch: the client aborts a request whose `ctx` emits
 * `cancel`, and with `includeResponse` it resolves to `[response, body]` (we need the headers).
 */
export class RequestContext extends EventEmitter {
  readonly includeResponse = true;
  canceled = false;

  /** Aborts the in-flight request (it rejects) and refuses later ones. */
  cancel(): void {
    this.canceled = true;
    this.emit("cancel");
  }
}

/** One answer of `/v1/health/service/:name?passing`. */
export interface HealthAnswer {
  /** X-Consul-Index of the answer (0n when missing). */
  index: bigint;
  entries: ConsulHealthEntry[];
}

/** Optional blocking-query parameters. */
export interface BlockingParams {
  index: bigint;
  waitMs: number;
  ctx: RequestContext;
}

/**
 * Passing instances of a Consul service; with `blocking`, a blocking query that Consul holds
 * until the index moves past `blocking.index` or `waitMs` passes.
 */
export async function healthService(consul: ConsulClient, name: string, blocking?: BlockingParams): Promise<HealthAnswer> {
  const ctx = blocking?.ctx ?? new RequestContext();
  const options: Record<string, unknown> = { service: name, passing: true, ctx };
  if (blocking) {
    options.index = blocking.index.toString();
    options.wait = `${blocking.waitMs}ms`;
    // Consul may add up to wait/16 of jitter before answering; leave room for that and the network.
    options.timeout = blocking.waitMs + Math.ceil(blocking.waitMs / 16) + 5_000;
  }
  const call = consul.health.service as unknown as (o: unknown) => Promise<[IncomingMessage, unknown]>;
  const [res, body] = await call.call(consul.health, options);
  const header = res.headers["x-consul-index"];
  const index = typeof header === "string" && /^\d+$/.test(header) ? BigInt(header) : 0n;
  return { index, entries: Array.isArray(body) ? (body as ConsulHealthEntry[]) : [] };
}

/** Whether a client error is an HTTP 404 from the agent (unknown service or check id). */
export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number } | undefined)?.statusCode === 404;
}
