/**
 * Typed domain errors. Domain code (engine, router scheduling, preprocessor) throws these and
 * never touches gRPC: `code` holds the gRPC status number (a standard, so no grpc-js import is
 * needed here), and grpc-errors.ts maps them onto the wire and back.
 */

/** gRPC status codes (the numbers are fixed by the gRPC spec). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status code number. */
export type Code = (typeof Code)[keyof typeof Code];

/** Options of every kvmesh error. */
export interface KvmeshErrorOptions {
  /** The request field at fault (OpenAI's `param`). */
  param?: string;
  /** The underlying error, for logs only (never sent to clients). */
  cause?: unknown;
}

/** Options of {@link OverloadedError}. */
export interface OverloadedErrorOptions extends KvmeshErrorOptions {
  /** Seconds the client should wait before retrying (default 1). */
  retryAfterSeconds?: number;
}

/** Base of every kvmesh error: a client-safe message, its gRPC code and the offending parameter. */
export abstract class KvmeshError extends Error {
  /** gRPC status code this error travels as. */
  abstract readonly code: Code;
  /** The request field at fault (OpenAI's `param`), when there is one. */
  readonly param: string | undefined;

  constructor(message: string, options: KvmeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.param = options.param;
  }
}

/** A missing or wrong API key (gRPC UNAUTHENTICATED, HTTP 401 `invalid_api_key`). */
export class UnauthenticatedError extends KvmeshError {
  readonly code = Code.UNAUTHENTICATED;
}

/** A malformed or out-of-range request field (400 `invalid_request_error`). */
export class InvalidArgumentError extends KvmeshError {
  readonly code = Code.INVALID_ARGUMENT;
}

/** The request is valid but cannot run in the current state, e.g. a model without a chat template (400). */
export class FailedPreconditionError extends KvmeshError {
  readonly code = Code.FAILED_PRECONDITION;
}

/** The prompt (plus max_tokens) does not fit the model's context (400 `context_length_exceeded`). */
export class ContextLengthError extends KvmeshError {
  readonly code = Code.OUT_OF_RANGE;
}

/** The model is not served by any instance in discovery (404 `model_not_found`). */
export class ModelNotFoundError extends KvmeshError {
  readonly code = Code.NOT_FOUND;
}

/** A request parameter kvmesh does not support, e.g. `n > 1` (400 `unsupported_parameter`). */
export class UnsupportedParameterError extends KvmeshError {
  readonly code = Code.UNIMPLEMENTED;
}

/** Every worker is busy or the queue is full (503 `overloaded` with Retry-After). */
export class OverloadedError extends KvmeshError {
  readonly code = Code.RESOURCE_EXHAUSTED;
  /** Seconds the client should wait before retrying (the HTTP Retry-After header). */
  readonly retryAfterSeconds: number;

  constructor(message: string, options: OverloadedErrorOptions = {}) {
    super(message, options);
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }
}

/** A known model without a routable worker (503 `no_worker`). */
export class NoWorkerError extends KvmeshError {
  readonly code = Code.UNAVAILABLE;
}

/** The request ran past its deadline (504 `timeout`). */
export class TimeoutError extends KvmeshError {
  readonly code = Code.DEADLINE_EXCEEDED;
}

/** The caller went away; nothing is sent to it, the chain below is cancelled. */
export class CancelledError extends KvmeshError {
  readonly code = Code.CANCELLED;
}

/** Anything else. Its message is generic on the wire; the cause stays in the logs. */
export class InternalError extends KvmeshError {
  readonly code = Code.INTERNAL;
}
