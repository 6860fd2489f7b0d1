/**
 * `--allowed-origins`: CORS for browser clients. A request from an allowed origin gets
 * Access-Control-Allow-Origin (and, on a preflight OPTIONS, the allowed methods and headers,
 * answered 204 before auth, since browsers send preflights without credentials). A request
 * from any other origin gets no CORS header at all, so the browser blocks it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

const ALLOW_METHODS = "GET, POST, OPTIONS";
/** What OpenAI clients send: the key, JSON, request ids and the SDKs' own x-stainless-* headers. */
const DEFAULT_ALLOW_HEADERS = "authorization, content-type, x-request-id";
/** Seconds a browser may cache a preflight answer. */
const MAX_AGE_SECONDS = "600";

/** The CORS policy of one frontend. */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  /** `allowedOrigins`: `*`, or a comma-separated list of origins (`https://app.example:8443`). */
  constructor(allowedOrigins: string | undefined) {
    const list = (allowedOrigins ?? "").split(",").map((o) => o.trim().replace(/\/+$/, "")).filter((o) => o !== "");
    this.any = list.includes("*");
    this.origins = new Set(list);
  }

  /** True when `origin` may call the API. */
  allows(origin: string | undefined): origin is string {
    return origin !== undefined && (this.any || this.origins.has(origin));
  }

  /**
   * Sets the CORS headers of an allowed origin on `res`, and answers a preflight (OPTIONS with
   * Access-Control-Request-Method) with 204. Returns true when the request was answered here.
   */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (!this.allows(origin)) return false;
    res.setHeader("access-control-allow-origin", this.any ? "*" : origin);
    if (!this.any) res.setHeader("vary", "Origin");
    if (!preflight) {
      res.setHeader("access-control-expose-headers", "x-kvmesh-worker-id, x-request-id, retry-after");
      return false;
    }
    const asked = req.headers["access-control-request-headers"];
    res.writeHead(204, {
      "access-control-allow-methods": ALLOW_METHODS,
      // Echoing the asked headers lets the SDKs' x-stainless-* headers through.
      "access-control-allow-headers": typeof asked === "string" && asked !== "" ? asked : DEFAULT_ALLOW_HEADERS,
      "access-control-max-age": MAX_AGE_SECONDS,
      "content-length": "0",
    }).end();
    return true;
  }
}
