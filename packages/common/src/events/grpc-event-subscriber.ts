import { Metadata, credentials, status as GrpcStatus } from "@grpc/grpc-js";
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import type { KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import type { DumpKvStateResponse, KvStreamMessage } from "#contracts/gen/kvmesh/v1/worker.js";
import { backoffDelay } from "../discovery/backoff.js";
import type { BackoffOptions } from "../discovery/backoff.js";
import type { EventLog } from "./types.js";

/** What a {@link GrpcEventSource} delivers, synchronously and in order, for its one worker. */
export interface GrpcEventSourceHandlers {
  /**
   * The worker's whole cache (stored events with id 0) and the id the stream continues after:
   * drop everything known of this worker and apply it. Comes first, and again whenever the
   * stream cannot resume (OUT_OF_RANGE, an id gap, a new epoch, or {@link GrpcEventSource.resync}).
   */
  onResync(dump: DumpKvStateResponse): void;
  /** Events that follow the last delivered id without a gap, in the current epoch. */
  onBatch(batch: KvEventBatch): void;
  onLoad(load: WorkerLoad): void;
}

/** Settings of a {@link GrpcEventSource}. */
export interface GrpcEventSourceOptions {
  /** The worker's gRPC `host:port`. */
  address: string;
  handlers: GrpcEventSourceHandlers;
  log: EventLog;
  /** Retry pacing after a failed call or a broken stream; default 100 ms doubling to 5 s. */
  backoff?: BackoffOptions;
  /** Deadline of each DumpKvState call; default 10 s. */
  dumpTimeoutMs?: number;
  /** A client to use instead of an insecure one to `address` (it is then not closed here). */
  client?: WorkerClient;
}

type StreamEnd = "resync" | "retry" | "closed";

/**
 * Follows ONE worker's `StreamKvEvents` without a broker: resyncs from DumpKvState, then
 * streams after the last id it delivered, reopening with backoff when the stream breaks. A
 * router holds one per worker it sees in discovery and closes it when the worker leaves.
 */
export class GrpcEventSource {
  private readonly client: WorkerClient;
  private readonly backoff: BackoffOptions;
  private last: bigint | undefined;
  private epoch: bigint | undefined;
  private needResync = true;
  private closed = false;
  private interrupt: ((end: StreamEnd) => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: GrpcEventSourceOptions) {
    this.client = options.client ?? new WorkerClient(options.address, credentials.createInsecure());
    this.backoff = options.backoff ?? { baseMs: 100, maxMs: 5000, random: Math.random };
  }

  /** The id of the last event delivered (or the last dump's); undefined before the first dump. */
  get lastEventId(): bigint | undefined {
    return this.last;
  }

  /** Starts following; idempotent. */
  start(): void {
    this.running ??= this.run();
  }

  /** Asks for a fresh DumpKvState (the caller found an unknown parent or a gap of its own). */
  resync(): void {
    this.needResync = true;
    this.interrupt?.("resync");
  }

  /** Cancels the stream and any pending retry; resolves once the loop has stopped. */
  async close(): Promise<void> {
    this.closed = true;
    this.interrupt?.("closed");
    await this.running;
    if (!this.options.client) this.client.close();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      if (this.needResync) {
        try {
          await this.dump();
          attempt = 0;
        } catch (err) {
          this.needResync = true;
          this.options.log.warn({ address: this.options.address, err: String(err) }, "DumpKvState failed; retrying");
          await this.pause(backoffDelay(attempt++, this.backoff));
          continue;
        }
        // A resync() asked for while the dump ran: its reason may postdate the dump.
        if (this.needResync) continue;
      }
      const { end, progressed } = await this.follow();
      if (progressed) attempt = 0;
      if (end === "retry") await this.pause(backoffDelay(attempt++, this.backoff));
    }
  }

  private async dump(): Promise<void> {
    // Cleared before the call so that a resync() asked for meanwhile is not lost.
    this.needResync = false;
    const deadline = new Date(Date.now() + (this.options.dumpTimeoutMs ?? 10_000));
    const dump = await new Promise<DumpKvStateResponse>((resolve, reject) => {
      this.client.dumpKvState({}, new Metadata(), { deadline }, (err, res) => (err ? reject(err) : resolve(res)));
    });
    if (this.closed) return;
    this.epoch = dump.epoch;
    this.last = dump.lastEventId;
    this.options.log.info({ address: this.options.address, epoch: dump.epoch, lastEventId: dump.lastEventId }, "kv state resynced");
    this.options.handlers.onResync(dump);
  }

  /** One stream, from open to end; says what to do next and whether anything arrived. */
  private follow(): Promise<{ end: StreamEnd; progressed: boolean }> {
    return new Promise((resolve) => {
      let progressed = false;
      let settled = false;
      const call: ClientReadableStream<KvStreamMessage> = this.client.streamKvEvents({ afterEventId: this.last });
      const finish = (end: StreamEnd): void => {
        if (settled) return;
        settled = true;
        this.interrupt = undefined;
        if (end !== "retry") call.cancel();
        resolve({ end, progressed });
      };
      this.interrupt = finish;
      call.on("data", (msg: KvStreamMessage) => {
        if (settled) return;
        progressed = true;
        if (!this.accept(msg)) finish("resync");
      });
      call.on("error", (err: ServiceError) => {
        if (err.code === GrpcStatus.OUT_OF_RANGE) {
          this.options.log.info({ address: this.options.address, details: err.details }, "kv event stream out of range; resyncing");
          this.needResync = true;
          finish("resync");
        } else {
          if (!settled) this.options.log.warn({ address: this.options.address, code: err.code, details: err.details }, "kv event stream broke");
          finish("retry");
        }
      });
      call.on("end", () => finish("retry"));
    });
  }

  /** Delivers a message; false (and a resync is due) when it does not follow on from the last one. */
  private accept(msg: KvStreamMessage): boolean {
    const { handlers, log, address } = this.options;
    const m = msg.message;
    if (!m) return true;
    const epoch = m.$case === "batch" ? m.batch.epoch : m.load.epoch;
    const first = m.$case === "batch" ? m.batch.events[0]?.eventId : undefined;
    const behind = m.$case === "load" && m.load.lastEventId > (this.last ?? 0n);
    if (epoch !== this.epoch || (first !== undefined && first !== (this.last ?? 0n) + 1n) || behind) {
      log.warn({ address, epoch, expectedEpoch: this.epoch, first, last: this.last }, "kv event stream gap or new epoch; resyncing");
      this.needResync = true;
      return false;
    }
    if (m.$case === "batch") {
      const events = m.batch.events;
      if (events.length > 0) this.last = events[events.length - 1].eventId;
      handlers.onBatch(m.batch);
    } else {
      handlers.onLoad(m.load);
    }
    return true;
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
