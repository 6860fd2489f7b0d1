/**
 * Request ids. Inside the mesh every request has its own id, made by the front door: it
 * follows the request through every service (gRPC metadata `x-request-id`, attached to each
 * outgoing call and put on `log.child({ request_id })`) and keys per-request state, so it must
 * be unique. A client's own `x-request-id` is only a label: validated, logged next to ours and
 * echoed back, never a key (a hundred concurrent requests may share one).
 */
import { randomUUID } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";
import { InvalidArgumentError } from "./errors.js";

/** The metadata key (and HTTP header) of the request id. */
export const REQUEST_ID_KEY = "x-request-id";

/** The longest client request id accepted, in characters. */
export const MAX_CLIENT_REQUEST_ID_LENGTH = 256;

/** Printable ASCII only: no control characters (tab, newline), nothing a log or header would mangle. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** The request id of an incoming call, or a fresh one when the caller sent none. */
export function requestIdOf(call: { metadata: Metadata }): string {
  const value = call.metadata.get(REQUEST_ID_KEY)[0];
  return typeof value === "string" && value !== "" ? value : randomUUID();
}

/** A fresh request id for the mesh's own use. */
export function newRequestId(): string {
  return randomUUID();
}

/**
 * The client's `x-request-id` (a header or metadata value): undefined when absent or empty;
 * InvalidArgumentError (param "x-request-id") when it is not printable ASCII or is longer than
 * {@link MAX_CLIENT_REQUEST_ID_LENGTH}.
 */
export function clientRequestId(value: unknown): string | undefined {
  if (value === undefined || value === "") return undefined;
  const param = { param: REQUEST_ID_KEY };
  if (typeof value !== "string") throw new InvalidArgumentError(`${REQUEST_ID_KEY} must be text`, param);
  if (value.length > MAX_CLIENT_REQUEST_ID_LENGTH) {
    throw new InvalidArgumentError(`${REQUEST_ID_KEY} is longer than ${MAX_CLIENT_REQUEST_ID_LENGTH} characters`, param);
  }
  if (!PRINTABLE_ASCII.test(value)) throw new InvalidArgumentError(`${REQUEST_ID_KEY} must be printable ASCII (no control characters)`, param);
  return value;
}

/** Metadata for an outgoing call carrying `requestId` (added to `metadata` when given). */
export function withRequestId(requestId: string, metadata: Metadata = new Metadata()): Metadata {
  metadata.set(REQUEST_ID_KEY, requestId);
  return metadata;
}
