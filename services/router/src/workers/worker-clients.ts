import { createClient } from "#common/grpc-client.js";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import type { WorkerId } from "../indexer/types.js";

/** One gRPC channel per worker, made on first use and closed when the worker leaves. */
export class WorkerClients {
  private readonly clients = new Map<WorkerId, { address: string; client: WorkerClient }>();

  /** The client of a worker at `address` (a new address replaces the old channel). */
  get(workerId: WorkerId, address: string): WorkerClient {
    const held = this.clients.get(workerId);
    if (held !== undefined && held.address === address) return held.client;
    held?.client.close();
    const client = createClient(WorkerClient, address);
    this.clients.set(workerId, { address, client });
    return client;
  }

  /** Close a worker's channel (it left discovery). */
  drop(workerId: WorkerId): void {
    this.clients.get(workerId)?.client.close();
    this.clients.delete(workerId);
  }

  /** Close every channel. */
  closeAll(): void {
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }
}
