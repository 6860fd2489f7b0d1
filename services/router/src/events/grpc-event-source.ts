import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import type { WorkerClient, KvStreamMessage } from "#contracts/gen/kvmesh/v1/worker.js";
import { backoffDelay } from "#common/discovery/backoff.js";
import type { BackoffOptions } from "#common/discovery/backoff.js";
import type { EventLog } from "#common/events/types.js";
import type { EventHandlers } from "./transport.js";

/** Settings of a {@link GrpcEventSource}. */
export interface GrpcEventSourceOptions {
  /** The worker's gRPC `host:port` (for logs). */
  address: string;
  /** The worker's client (owned by the caller). */
  client: WorkerClient;
  /**
   * Where each (re)opened stream resumes: the last event id the feed applied, or undefined
   * while the feed awaits a dump (the stream then opens once {@link GrpcEventSource.resume}
   * is called, after the dump's last id, so nothing the dump holds is streamed again).
   */
  resumeAfter: () => bigint | undefined;
  handlers: EventHandlers;
  log: EventLog;
  /** Retry pacing after a broken stream; default 100 ms doubling to 5 s. */
  backoff?: BackoffOptions;
}

/** How one stream ended: reopen at once (OUT_OF_RANGE reported), after a pause, or never. */
type StreamEnd = "reopen" | "retry" | "closed";

/**
 * The StreamKvEvents transport of ONE worker, without a broker: keeps a stream open, reopening
 * it with backoff when it breaks, and hands every message on as it came. It opens where the
 * feed says (after the last applied id, or after the dump the feed awaits). It checks no epoch or
 * id (the KvEventFeed does); a resume point the worker can no longer serve (OUT_OF_RANGE) is
 * reported as `onReconnect`, like a NATS reconnect. A router holds one per worker it indexes.
 */
export class GrpcEventSource {
  private readonly backoff: BackoffOptions;
  private closed = false;
  private interrupt: (() => void) | undefined;
  private waiting: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: GrpcEventSourceOptions) {
    this.backoff = options.backoff ?? { baseMs: 100, maxMs: 5000, random: Math.random };
  }

  /** Starts following; idempotent. */
  start(): void {
    this.running ??= this.run();
  }

  /** The feed applied a dump: a stream waiting for a resume point may open now. */
  resume(): void {
    this.waiting?.();
  }

  /** Cancels the stream and any pending retry; resolves once the loop has stopped. */
  async close(): Promise<void> {
    this.closed = true;
    this.interrupt?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      const after = this.options.resumeAfter();
      if (after === undefined) {
        await this.untilResumed();
        continue;
      }
      const { end, progressed } = await this.follow(after);
      if (progressed || end === "reopen") attempt = 0;
      if (end === "retry") await this.pause(backoffDelay(attempt++, this.backoff));
    }
  }

  /** One stream, from open to end; says what to do next and whether anything arrived. */
  private follow(afterEventId: bigint): Promise<{ end: StreamEnd; progressed: boolean }> {
    const { client, handlers, log, address } = this.options;
    return new Promise((resolve) => {
      let progressed = false;
      let settled = false;
      const call: ClientReadableStream<KvStreamMessage> = client.streamKvEvents({ afterEventId });
      const finish = (end: StreamEnd): void => {
        if (settled) return;
        settled = true;
        this.interrupt = undefined;
        if (end === "closed") call.cancel();
        resolve({ end, progressed });
      };
      this.interrupt = () => finish("closed");
      call.on("data", (msg: KvStreamMessage) => {
        if (settled) return;
        progressed = true;
        const m = msg.message;
        if (m?.$case === "batch") handlers.onBatch(m.batch);
        else if (m?.$case === "load") handlers.onLoad(m.load);
      });
      call.on("error", (err: ServiceError) => {
        if (settled) return;
        if (err.code === GrpcStatus.OUT_OF_RANGE) {
          log.info({ address, details: err.details }, "kv event stream cannot resume; events were lost");
          // Settled first: the feed's resync changes resumeAfter for the stream reopened next.
          finish("reopen");
          handlers.onReconnect();
        } else {
          log.warn({ address, code: err.code, details: err.details }, "kv event stream broke");
          finish("retry");
        }
      });
      call.on("end", () => finish("retry"));
    });
  }

  /** Waits for resume() or close(); set up in the tick resumeAfter() was read, so no wake-up is lost. */
  private untilResumed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.interrupt = undefined;
        this.waiting = undefined;
        resolve();
      };
      this.interrupt = done;
      this.waiting = done;
    });
  }

  private pause(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.interrupt = () => {
        this.interrupt = undefined;
        done();
      };
    });
  }
}
