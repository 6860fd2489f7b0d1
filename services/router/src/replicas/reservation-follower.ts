import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import { backoffDelay } from "#common/discovery/backoff.js";
import type { BackoffOptions } from "#common/discovery/backoff.js";
import type { Logger } from "#common/logger.js";
import type { ReservationUpdate, RouterClient } from "#contracts/gen/kvmesh/v1/router.js";

/** Settings of a {@link ReservationFollower}. */
export interface ReservationFollowerOptions {
  /** The peer's `host:port` (for logs). */
  readonly address: string;
  /** The peer's client (owned by the follower: closed with it). */
  readonly client: RouterClient;
  /** This replica's id, sent to the peer for its logs. */
  readonly selfId: string;
  readonly onUpdate: (update: ReservationUpdate) => void;
  readonly log: Logger;
  /** Retry pacing after a broken stream; default 100 ms doubling to 5 s. */
  readonly backoff?: BackoffOptions;
}

/**
 * Follows ONE peer replica's FollowReservations stream without a broker (as GrpcEventSource
 * follows a worker's KV events): reopens it with backoff when it breaks. Each stream opens with
 * the peer's snapshot, so a reconnect needs no resync of its own; while the peer is away its
 * reservations age out by their TTL.
 */
export class ReservationFollower {
  private closed = false;
  private call: ClientReadableStream<ReservationUpdate> | undefined;
  private cancelPause: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: ReservationFollowerOptions) {}

  /** Starts following; idempotent. */
  start(): void {
    this.running ??= this.run();
  }

  /** Cancels the stream and closes the client; resolves when the loop stopped. */
  async close(): Promise<void> {
    this.closed = true;
    this.call?.cancel();
    this.cancelPause?.();
    await this.running;
    this.options.client.close();
  }

  private async run(): Promise<void> {
    const backoff = this.options.backoff ?? { baseMs: 100, maxMs: 5000, random: Math.random };
    let attempt = 0;
    while (!this.closed) {
      const progressed = await this.follow();
      if (progressed) attempt = 0;
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffDelay(attempt++, backoff));
        this.cancelPause = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One stream from open to end; resolves whether anything arrived. */
  private follow(): Promise<boolean> {
    const { client, selfId, onUpdate, log, address } = this.options;
    return new Promise((resolve) => {
      let progressed = false;
      const call = client.followReservations({ followerId: selfId });
      this.call = call;
      const done = (): void => {
        if (this.call === call) this.call = undefined;
        resolve(progressed);
      };
      call.on("data", (update: ReservationUpdate) => {
        progressed = true;
        try {
          onUpdate(update);
        } catch (err) {
          log.warn({ address, err: String(err) }, "reservation update dropped");
        }
      });
      call.on("error", (err: ServiceError) => {
        if (!this.closed) log.debug({ address, code: err.code, details: err.details }, "reservation stream broke");
        done();
      });
      call.on("end", done);
    });
  }
}
