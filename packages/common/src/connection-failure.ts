/**
 * Failures of the shared HTTP/2 connection rather than answers of the server: the peer's
 * session closed (GOAWAY, e.g. nghttp2's rapid-reset guard), the socket dropped, or the
 * replica is unreachable. Such a call never reached the handler's logic, so before its first
 * message it may be sent again on a fresh connection or to another replica.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import { ERROR_CLASS_KEY, isServiceError } from "./grpc-errors.js";

/** What grpc-js says when the transport, not the handler, ended a call with INTERNAL. */
const TRANSPORT_DETAILS = /RST_STREAM|Session closed|GOAWAY|Connection dropped|ECONNRESET|Stream refused|write after end|HTTP\/2 error/i;

/**
 * True for UNAVAILABLE, and for an INTERNAL status that grpc-js made from a broken
 * connection: a kvmesh handler's INTERNAL always carries the error-class trailer.
 */
export function isConnectionFailure(err: unknown): boolean {
  if (!isServiceError(err)) return false;
  if (err.code === GrpcStatus.UNAVAILABLE) return true;
  if (err.code !== GrpcStatus.INTERNAL) return false;
  return err.metadata.get(ERROR_CLASS_KEY).length === 0 && TRANSPORT_DETAILS.test(err.details ?? "");
}
