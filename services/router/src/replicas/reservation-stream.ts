/** Router.FollowReservations: this replica's reservation updates onto a peer's stream. */
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { Logger } from "#common/logger.js";
import { serveStream } from "#common/server-stream.js";
import type { FollowReservationsRequest, ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import type { OwnReservations } from "./own-reservations.js";

/**
 * Serves one follower: the snapshot first, then every update (deltas and refreshes) until the
 * follower cancels. Updates queue while a write waits for the transport, so none is lost or
 * reordered; a follower too slow to keep up is cut off (it reconnects and gets a snapshot).
 */
export function serveReservations(
  own: OwnReservations,
  call: ServerWritableStream<FollowReservationsRequest, ReservationUpdate>,
  log: Logger,
  /** Aborted when this replica drains: the stream ends (OK) instead of holding the drain up. */
  stop: AbortSignal,
  maxQueued = 10_000,
): Promise<void> {
  return serveStream(call, log.child({ follower: call.request.followerId }), async ({ signal, write }) => {
    const queue: ReservationUpdate[] = own.snapshot();
    let wake: (() => void) | undefined;
    let overflow = false;
    const remove = own.addSink((update) => {
      if (queue.length >= maxQueued) overflow = true;
      else queue.push(update);
      wake?.();
    });
    const onAbort = (): void => wake?.();
    signal.addEventListener("abort", onAbort);
    stop.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted && !stop.aborted && !overflow) {
        const next = queue.shift();
        if (next !== undefined) {
          await write(next);
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (overflow) log.warn({ follower: call.request.followerId }, "reservation follower too slow: cut off (it resyncs on reconnect)");
    } finally {
      remove();
      signal.removeEventListener("abort", onAbort);
      stop.removeEventListener("abort", onAbort);
    }
  });
}
