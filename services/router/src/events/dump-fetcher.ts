import { Metadata } from "@grpc/grpc-js";
import { deadlineIn } from "#common/grpc-client.js";
import type { Logger } from "#common/logger.js";
import type { DumpKvStateResponse, WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import type { WorkerId } from "../indexer/types.js";

/** Settings of a {@link DumpFetcher}. */
export interface DumpFetcherOptions {
  /** The worker's client, or undefined once it left (the fetch then stops). */
  clientOf: (workerId: WorkerId) => WorkerClient | undefined;
  onDump: (workerId: WorkerId, dump: DumpKvStateResponse) => void;
  log: Logger;
  timeoutMs?: number;
  /** Pause before retrying a failed call. */
  retryMs?: number;
}

/**
 * Calls DumpKvState for the event plane, whichever transport brings the events: one call per worker at a time; a request that
 * arrives while one is in flight runs once more afterwards (that dump may predate what the
 * new request is about, e.g. a reconnect). Failures retry until the worker leaves.
 */
export class DumpFetcher {
  private readonly inFlight = new Map<WorkerId, { again: boolean }>();
  private closed = false;

  constructor(private readonly options: DumpFetcherOptions) {}

  /** Fetch the worker's state (now, or again after the call in flight). */
  request(workerId: WorkerId): void {
    const running = this.inFlight.get(workerId);
    if (running !== undefined) {
      running.again = true;
      return;
    }
    const state = { again: false };
    this.inFlight.set(workerId, state);
    void this.run(workerId, state);
  }

  /** Stop retrying. */
  close(): void {
    this.closed = true;
  }

  private async run(workerId: WorkerId, state: { again: boolean }): Promise<void> {
    const { log } = this.options;
    try {
      for (;;) {
        const client = this.options.clientOf(workerId);
        if (client === undefined || this.closed) return;
        state.again = false;
        try {
          const dump = await this.fetch(client);
          if (this.closed || this.options.clientOf(workerId) === undefined) return;
          this.options.onDump(workerId, dump);
          if (!state.again) return;
        } catch (err) {
          log.warn({ worker_id: workerId, err: String(err) }, "DumpKvState failed; retrying");
          await new Promise((r) => setTimeout(r, this.options.retryMs ?? 250));
        }
      }
    } finally {
      this.inFlight.delete(workerId);
    }
  }

  private fetch(client: WorkerClient): Promise<DumpKvStateResponse> {
    return new Promise((resolve, reject) => {
      client.dumpKvState({}, new Metadata(), { deadline: deadlineIn(this.options.timeoutMs ?? 10_000) }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }
}
