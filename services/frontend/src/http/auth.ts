/**
 * `--api-key`: every API route asks for `Authorization: Bearer <key>` (REST header or gRPC
 * metadata `authorization`), as OpenAI and vLLM do. The probes (/health, /live) and /metrics
 * stay open so orchestrators and Prometheus need no secret. Keys are compared in constant time
 * (over SHA-256 digests, so neither the length nor a prefix leaks through timing).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { UnauthenticatedError } from "#common/errors.js";

/** Paths served without a key. */
const OPEN_PATHS: ReadonlySet<string> = new Set(["/health", "/live", "/metrics"]);

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Checks the bearer key of requests; without a configured key every request passes. */
export class ApiKeyGuard {
  private readonly expected: Buffer | undefined;

  constructor(apiKey: string | undefined) {
    this.expected = apiKey === undefined || apiKey === "" ? undefined : digest(apiKey);
  }

  /** True when `path` needs a key (a key is configured and the path is not a probe). */
  guards(path: string): boolean {
    return this.expected !== undefined && !OPEN_PATHS.has(path);
  }

  /**
   * Throws UnauthenticatedError (401 `invalid_api_key`, gRPC UNAUTHENTICATED) unless
   * `authorization` is `Bearer <the key>`; passes everything when no key is configured.
   */
  check(authorization: string | undefined): void {
    if (this.expected === undefined) return;
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? "");
    if (!match) throw new UnauthenticatedError("missing API key: send the header 'Authorization: Bearer <key>' (the frontend runs with --api-key)");
    if (!timingSafeEqual(digest(match[1]), this.expected)) throw new UnauthenticatedError("incorrect API key provided");
  }
}
