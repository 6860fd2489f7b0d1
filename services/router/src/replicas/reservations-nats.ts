import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { routerReservationsSubject } from "#common/events/subjects.js";
import type { Logger } from "#common/logger.js";
import { ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";

/**
 * Reservation updates over the broker: every replica publishes on and subscribes to
 * `kvmesh.<namespace>.router.reservations` (its own messages come back and are ignored by
 * PeerReservations). Core NATS replays nothing, so a replica that reconnects catches up from
 * its peers' next snapshot (every refresh interval).
 */
export class NatsReservations {
  private readonly subject: string;
  private subscription: Subscription | undefined;

  constructor(private readonly connection: NatsConnection, namespace: string, private readonly log: Logger) {
    this.subject = routerReservationsSubject(namespace);
  }

  /** Publishes one update (dropped while disconnected: the next snapshot repairs it). */
  publish(update: ReservationUpdate): void {
    try {
      this.connection.publish(this.subject, ReservationUpdate.encode(update).finish());
    } catch (err) {
      this.log.debug({ err: String(err) }, "reservation update not published");
    }
  }

  /** Delivers every update on the subject to `onUpdate`. */
  subscribe(onUpdate: (update: ReservationUpdate) => void): void {
    this.subscription ??= this.connection.subscribe(this.subject, {
      callback: (err, msg) => {
        if (err) return this.log.warn({ err: err.message }, "reservation subscription error");
        try {
          onUpdate(ReservationUpdate.decode(msg.data));
        } catch (e) {
          // A malformed payload must not end the subscription.
          this.log.warn({ err: String(e) }, "reservation update dropped");
        }
      },
    });
  }

  /** Drains the subscription, then the connection (this class owns it). */
  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    await this.connection.drain();
  }
}
