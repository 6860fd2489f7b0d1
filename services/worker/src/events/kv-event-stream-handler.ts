import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServerWritableStream, handleServerStreamingCall } from "@grpc/grpc-js";
import type { KvEvent, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import type { KvStreamMessage, StreamKvEventsRequest } from "#contracts/gen/kvmesh/v1/worker.js";
import { isOutOfRange } from "./event-ring.js";
import type { EventRing } from "./event-ring.js";

/** The counters of a load report; identity and last_event_id are filled in by the stream. */
export type WorkerLoadCounts = Omit<WorkerLoad, "workerId" | "epoch" | "model" | "lastEventId">;

/** What the StreamKvEvents handler serves. */
export interface KvEventStreamSource {
  ring: EventRing;
  workerId: string;
  epoch: bigint;
  /** Served model name. */
  model: string;
  /** The worker's current counters, read at every load tick. */
  loadProvider: () => WorkerLoadCounts;
  /** Period of WorkerLoad messages; one is also sent right after the retained events. */
  loadIntervalMs: number;
  /** Largest batch sent for the retained backlog (default 256 events). */
  maxBatchEvents?: number;
}

/**
 * Builds the server-streaming handler of `Worker.StreamKvEvents`: the retained events after
 * `after_event_id` as batches, then every new batch live plus a WorkerLoad each
 * `loadIntervalMs`, until the caller cancels or the ring closes (the stream then ends OK).
 * A resume point the ring cannot serve ends the call with OUT_OF_RANGE; the caller then
 * resyncs from DumpKvState.
 */
export function createStreamKvEventsHandler(
  source: KvEventStreamSource,
): handleServerStreamingCall<StreamKvEventsRequest, KvStreamMessage> {
  return (call) => serveStream(source, call);
}

function serveStream(source: KvEventStreamSource, call: ServerWritableStream<StreamKvEventsRequest, KvStreamMessage>): void {
  const { ring } = source;
  const backlog = ring.after(call.request.afterEventId);
  if (isOutOfRange(backlog)) {
    call.emit("error", {
      code: GrpcStatus.OUT_OF_RANGE,
      details: `after_event_id ${call.request.afterEventId} is ${backlog.reason}: retained ${backlog.oldestEventId}..${backlog.lastEventId} of epoch ${source.epoch}; call DumpKvState`,
    });
    return;
  }
  const sendBatch = (events: KvEvent[]): void => {
    call.write({
      message: { $case: "batch", batch: { workerId: source.workerId, epoch: source.epoch, model: source.model, events } },
    });
  };
  const sendLoad = (): void => {
    const load: WorkerLoad = {
      ...source.loadProvider(),
      workerId: source.workerId,
      epoch: source.epoch,
      model: source.model,
      lastEventId: ring.lastEventId,
    };
    call.write({ message: { $case: "load", load } });
  };

  const max = source.maxBatchEvents ?? 256;
  for (let i = 0; i < backlog.length; i += max) sendBatch(backlog.slice(i, i + max));
  sendLoad();

  // Registered in the same tick as after(): no event can fall between backlog and live.
  let done = false;
  let unlisten: () => void = () => {};
  const stop = (): void => {
    if (done) return;
    done = true;
    clearInterval(timer);
    unlisten();
  };
  const timer = setInterval(sendLoad, source.loadIntervalMs);
  unlisten = ring.listen({
    onEvents: (events) => sendBatch([...events]),
    onClose: () => {
      stop();
      call.end();
    },
  });
  call.on("cancelled", stop);
  call.on("close", stop);
  call.on("error", stop);
}
