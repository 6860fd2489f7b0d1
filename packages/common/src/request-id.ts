/**
 * The `x-request-id` that follows one request through every service: read (or made) on the
 * server side, attached to each outgoing call, and put on `log.child({ request_id })`.
 */
import { randomUUID } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";

/** The metadata key of the request id. */
export const REQUEST_ID_KEY = "x-request-id";

/** The request id of an incoming call, or a fresh one when the caller sent none. */
export function requestIdOf(call: { metadata: Metadata }): string {
  const value = call.metadata.get(REQUEST_ID_KEY)[0];
  return typeof value === "string" && value !== "" ? value : randomUUID();
}

/** Metadata for an outgoing call carrying `requestId` (added to `metadata` when given). */
export function withRequestId(requestId: string, metadata: Metadata = new Metadata()): Metadata {
  metadata.set(REQUEST_ID_KEY, requestId);
  return metadata;
}
