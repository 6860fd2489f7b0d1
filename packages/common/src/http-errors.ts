/**
 * The ONE table from gRPC status to HTTP status and the OpenAI error JSON
 * (ARCHITECTURE.md "Errors"). The frontend uses it for plain responses and for the
 * `data: {"error":...}` event of a stream that already started.
 */
import { Code, KvmeshError, OverloadedError } from "./errors.js";
import { GENERIC_INTERNAL_MESSAGE, fromGrpcError, isServiceError } from "./grpc-errors.js";

/** OpenAI's error body. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error response: status, extra headers (Retry-After) and body. */
export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: OpenAiErrorBody;
}

/** One row of the table. */
export interface HttpErrorRow {
  status: number;
  type: "invalid_request_error" | "server_error";
  code: string | null;
}

/** gRPC code → HTTP row. CANCELLED has no row (nobody is left to answer); absent codes are INTERNAL. */
export const HTTP_ERROR_TABLE: Readonly<Partial<Record<Code, HttpErrorRow>>> = {
  [Code.INVALID_ARGUMENT]: { status: 400, type: "invalid_request_error", code: null },
  [Code.FAILED_PRECONDITION]: { status: 400, type: "invalid_request_error", code: null },
  [Code.OUT_OF_RANGE]: { status: 400, type: "invalid_request_error", code: "context_length_exceeded" },
  [Code.NOT_FOUND]: { status: 404, type: "invalid_request_error", code: "model_not_found" },
  [Code.UNIMPLEMENTED]: { status: 400, type: "invalid_request_error", code: "unsupported_parameter" },
  [Code.RESOURCE_EXHAUSTED]: { status: 503, type: "server_error", code: "overloaded" },
  [Code.UNAVAILABLE]: { status: 503, type: "server_error", code: "no_worker" },
  [Code.DEADLINE_EXCEEDED]: { status: 504, type: "server_error", code: "timeout" },
  [Code.INTERNAL]: { status: 500, type: "server_error", code: null },
  [Code.UNAUTHENTICATED]: { status: 401, type: "invalid_request_error", code: "invalid_api_key" },
};

/** Extras of {@link httpErrorForStatus}. */
export interface HttpErrorExtras {
  param?: string;
  /** Sent as Retry-After on 503 overloaded (default 1). */
  retryAfterSeconds?: number;
}

/** The HTTP answer for a gRPC status; undefined for CANCELLED (log it, answer nothing). */
export function httpErrorForStatus(code: number, message: string, extras: HttpErrorExtras = {}): HttpError | undefined {
  if (code === Code.CANCELLED) return undefined;
  const known = HTTP_ERROR_TABLE[code as Code];
  const row = known ?? (HTTP_ERROR_TABLE[Code.INTERNAL] as HttpErrorRow);
  const headers: Record<string, string> = {};
  if (code === Code.RESOURCE_EXHAUSTED) headers["retry-after"] = String(extras.retryAfterSeconds ?? 1);
  const text = known && code !== Code.INTERNAL ? message : GENERIC_INTERNAL_MESSAGE;
  return { status: row.status, headers, body: { error: { message: text, type: row.type, param: extras.param ?? null, code: row.code } } };
}

/** The HTTP answer for anything thrown: a KvmeshError, a failed gRPC call, or an unexpected error (500). */
export function httpErrorOf(err: unknown): HttpError | undefined {
  const typed = err instanceof KvmeshError ? err : isServiceError(err) ? fromGrpcError(err) : undefined;
  if (!typed) return httpErrorForStatus(Code.INTERNAL, GENERIC_INTERNAL_MESSAGE);
  const retryAfterSeconds = typed instanceof OverloadedError ? typed.retryAfterSeconds : undefined;
  return httpErrorForStatus(typed.code, typed.message, { param: typed.param, retryAfterSeconds });
}
