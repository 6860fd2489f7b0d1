import { dialAddress } from "#common/discovery/index.js";
import type { Discovery, ServiceInstance, Watch } from "#common/discovery/index.js";
import { createClient } from "#common/grpc-client.js";
import type { Logger } from "#common/logger.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import type { ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import { ReservationFollower } from "./reservation-follower.js";

/** Settings of a {@link PeerWatch}. */
export interface PeerWatchOptions {
  readonly discovery: Discovery;
  /** This replica's discovery instance id: never followed. */
  readonly selfId: string;
  readonly onUpdate: (update: ReservationUpdate) => void;
  readonly log: Logger;
}

/**
 * Without a broker: follows discovery service "router" and keeps one {@link ReservationFollower}
 * per live peer replica (a peer that moved address gets a new one). A peer that leaves stops
 * being followed; what it reserved ages out by the TTL, as when it dies unannounced.
 */
export class PeerWatch {
  private watch: Watch | undefined;
  private readonly followers = new Map<string, { address: string; follower: ReservationFollower }>();

  constructor(private readonly options: PeerWatchOptions) {}

  /** Starts following discovery. */
  start(): void {
    this.watch ??= this.options.discovery.watch("router", (instances) => this.update(instances));
  }

  /** Stops following discovery and every peer. */
  async close(): Promise<void> {
    this.watch?.close();
    const all = [...this.followers.values()];
    this.followers.clear();
    await Promise.all(all.map((f) => f.follower.close()));
  }

  private update(instances: readonly ServiceInstance[]): void {
    const live = new Map(instances.filter((i) => i.instanceId !== this.options.selfId).map((i) => [i.instanceId, dialAddress(i)]));
    for (const [id, held] of this.followers) {
      if (live.get(id) === held.address) continue;
      this.followers.delete(id);
      void held.follower.close();
    }
    for (const [id, address] of live) {
      if (this.followers.has(id)) continue;
      const follower = new ReservationFollower({
        address, client: createClient(RouterClient, address), selfId: this.options.selfId,
        onUpdate: this.options.onUpdate, log: this.options.log,
      });
      this.followers.set(id, { address, follower });
      this.options.log.info({ peer: id, address }, "following peer router's reservations");
      follower.start();
    }
  }
}
