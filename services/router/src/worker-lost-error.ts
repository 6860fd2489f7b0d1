import { NoWorkerError } from "#common/errors.js";

/** Why a stream that lost its worker could not be moved on. */
export type WorkerLostReason = "pinned" | "limit";

/**
 * A worker stream broke and the forwarder may not move it: the request was pinned to that
 * worker, or --migration-limit is spent. It travels as UNAVAILABLE (503 `no_worker`) whatever
 * code the broken call had, because grpc-errors turns INTERNAL into a generic message and the
 * caller must learn which worker was lost; the worker's own status stays in `cause` for logs.
 */
export class WorkerLostError extends NoWorkerError {
  constructor(
    readonly workerId: string,
    readonly generatedTokens: number,
    reason: WorkerLostReason,
    migrationLimit: number,
    cause: unknown,
  ) {
    super(`worker ${workerId} was lost ${generatedTokens > 0 ? `mid-stream after ${generatedTokens} tokens` : "before the first token"} (${detailOf(cause)}); ${
      reason === "pinned" ? "the request is pinned to it, so it is not moved" : `--migration-limit ${migrationLimit} allows no further move`
    }`, { cause });
    this.name = "WorkerLostError";
  }
}

/** The broken call's own words: a gRPC status's details, else the error message. */
function detailOf(err: unknown): string {
  const e = err as { code?: unknown; details?: unknown; message?: unknown } | undefined;
  const text = typeof e?.details === "string" && e.details !== "" ? e.details : typeof e?.message === "string" ? e.message : String(err);
  return typeof e?.code === "number" ? `code ${e.code}: ${text}` : text;
}
