/**
 * Typed errors onto the gRPC wire and back. `toGrpcStatus` never sends a stack trace and turns
 * anything unexpected into INTERNAL with a generic message; `fromGrpcError` recreates the typed
 * error on the calling side (class and param travel in trailing metadata), so an error passes
 * through worker → router → preprocessor → frontend unchanged.
 */
import { Metadata } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import type { OverloadedErrorOptions } from "./errors.js";
import {
  CancelledError, Code, ContextLengthError, FailedPreconditionError, InternalError, InvalidArgumentError, KvmeshError,
  ModelNotFoundError, NoWorkerError, OverloadedError, TimeoutError, UnauthenticatedError, UnsupportedParameterError,
} from "./errors.js";

/** Trailer naming the error class, so e.g. a FAILED_PRECONDITION stays that exact class. */
export const ERROR_CLASS_KEY = "kvmesh-error";
/** Trailer carrying the offending request field (OpenAI `param`). */
export const ERROR_PARAM_KEY = "kvmesh-error-param";
/** Trailer carrying OverloadedError's retry delay in seconds. */
export const RETRY_AFTER_KEY = "retry-after";
/** What INTERNAL says on the wire: the real cause stays in the server's log. */
export const GENERIC_INTERNAL_MESSAGE = "internal error";

/** A status for `callback(status)` or `call.emit("error", status)`. */
export interface GrpcStatus {
  code: Code;
  details: string;
  metadata: Metadata;
}

type ErrorCtor = new (message: string, options?: OverloadedErrorOptions) => KvmeshError;

/** The class a status code becomes when no (known) class trailer came with it. */
const BY_CODE: Partial<Record<Code, ErrorCtor>> = {
  [Code.CANCELLED]: CancelledError,
  [Code.INVALID_ARGUMENT]: InvalidArgumentError,
  [Code.FAILED_PRECONDITION]: FailedPreconditionError,
  [Code.OUT_OF_RANGE]: ContextLengthError,
  [Code.NOT_FOUND]: ModelNotFoundError,
  [Code.UNIMPLEMENTED]: UnsupportedParameterError,
  [Code.RESOURCE_EXHAUSTED]: OverloadedError,
  [Code.UNAVAILABLE]: NoWorkerError,
  [Code.DEADLINE_EXCEEDED]: TimeoutError,
  [Code.UNAUTHENTICATED]: UnauthenticatedError,
};

const BY_NAME: ReadonlyMap<string, ErrorCtor> = new Map(
  [...Object.values(BY_CODE), InternalError].map((ctor) => [ctor.name, ctor] as [string, ErrorCtor]),
);

/** True for an error that came out of a grpc-js client call. */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" && (err as Partial<ServiceError>).metadata instanceof Metadata;
}

/** The gRPC status for any thrown value; a ServiceError from a downstream call passes through. */
export function toGrpcStatus(err: unknown): GrpcStatus {
  const typed = err instanceof KvmeshError ? err : isServiceError(err) ? fromGrpcError(err) : undefined;
  const metadata = new Metadata();
  if (!typed || typed instanceof InternalError) {
    metadata.set(ERROR_CLASS_KEY, InternalError.name);
    return { code: Code.INTERNAL, details: GENERIC_INTERNAL_MESSAGE, metadata };
  }
  metadata.set(ERROR_CLASS_KEY, typed.constructor.name);
  if (typed.param !== undefined) metadata.set(ERROR_PARAM_KEY, typed.param);
  if (typed instanceof OverloadedError) metadata.set(RETRY_AFTER_KEY, String(typed.retryAfterSeconds));
  return { code: typed.code, details: typed.message, metadata };
}

/** The typed error a failed call stands for; unknown codes become InternalError. */
export function fromGrpcError(err: Pick<ServiceError, "code" | "details" | "metadata">): KvmeshError {
  const named = BY_NAME.get(String(err.metadata?.get(ERROR_CLASS_KEY)[0] ?? ""));
  const byCode = BY_CODE[err.code as Code];
  // Trust the class trailer only when it agrees with the code (a proxy may rewrite codes).
  const ctor = named && new named("").code === err.code ? named : byCode;
  if (!ctor) return new InternalError(GENERIC_INTERNAL_MESSAGE);
  const param = err.metadata?.get(ERROR_PARAM_KEY)[0];
  const retry = Number(err.metadata?.get(RETRY_AFTER_KEY)[0]);
  return new ctor(err.details || ctor.name, {
    param: param === undefined ? undefined : String(param),
    retryAfterSeconds: Number.isFinite(retry) && retry > 0 ? retry : undefined,
  });
}
