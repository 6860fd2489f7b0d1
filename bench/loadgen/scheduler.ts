/**
 * Drives request chains: a chain's first request is due at its `atMs` (or at once), each next
 * one think-time after the previous finished, and at most `concurrency` are in flight, the
 * rest waiting in arrival order. Closed loop (concurrency N), open loop (arrival times) and a
 * trace's timestamps are all this one loop with different chains and limits.
 */
import type { BenchRequest, RequestChain } from "../workloads/types.js";

/** Knobs of {@link runChains}. */
export interface ScheduleOptions {
  /** Most requests in flight (Infinity: open loop). */
  readonly concurrency: number;
  /** No request is sent after this many ms (in-flight ones finish); absent: no limit. */
  readonly durationMs?: number;
  /** Most requests sent in all; absent: every request of every chain. */
  readonly maxRequests?: number;
  /** Monotonic ms clock; the run starts at the first call. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Sends one request; resolves when it has finished (whatever the outcome). */
export type SendFn = (request: BenchRequest, sentAtMs: number) => Promise<void>;

/** A FIFO counting semaphore. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** Runs every chain to its end (or to the duration / request cap); resolves when all finished. */
export async function runChains(chains: readonly RequestChain[], send: SendFn, options: ScheduleOptions): Promise<void> {
  const start = options.now();
  const elapsed = (): number => options.now() - start;
  const slots = new Slots(options.concurrency);
  let budget = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const expired = (): boolean => options.durationMs !== undefined && elapsed() >= options.durationMs;
  const runChain = async (chain: RequestChain): Promise<void> => {
    if (chain.atMs !== undefined && chain.atMs > elapsed()) await options.sleep(chain.atMs - elapsed());
    for (const request of chain.requests) {
      if (request.thinkMs > 0) await options.sleep(request.thinkMs);
      await slots.acquire();
      try {
        if (expired() || budget <= 0) return;
        budget--;
        await send(request, elapsed());
      } finally {
        slots.release();
      }
    }
  };
  await Promise.all(chains.map(runChain));
}
