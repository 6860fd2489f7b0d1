/**
 * Late binding: while every worker a request could go to is saturated, the router holds the
 * request instead of deciding on stale state, and decides it when a worker's in-flight prefill
 * drops (a first token, a finish, a cancel). Domain code: no clock of its own, no timers, no
 * I/O — the mesh (decider) and the simulator drive it, so both share one decide path.
 */

/** Why a held request left the queue. */
export type QueueExit = "released" | "timeout" | "cancelled";

/** Settings of an {@link AdmissionQueue}. */
export interface AdmissionQueueOptions {
  /** Most requests held at once; an arrival beyond it is decided at once (never rejected). */
  readonly maxLength: number;
  /** Longest a request is held, ms; then it is decided anyway. */
  readonly maxWaitMs: number;
  /** Milliseconds from an injected clock. */
  readonly now: () => number;
  /** Whether every candidate worker of this model is saturated now. */
  readonly saturated: (model: string) => boolean;
  /** A request left the queue after `waitedMs` (metrics). */
  readonly exited?: (exit: QueueExit, waitedMs: number) => void;
}

/** One held request. */
export interface QueueTicket {
  readonly model: string;
  readonly enqueuedAt: number;
  /** The request's turn came (released or timed out): decide it now. Not called after a cancel. */
  readonly dispatch: (exit: "released" | "timeout") => void;
}

/**
 * A FIFO of held requests (Dynamo's router queue, llm-d's flow control): arrival order within
 * a model; a model whose workers are saturated does not block another model's requests.
 */
export class AdmissionQueue {
  private readonly held: QueueTicket[] = [];
  private releasing = false;

  constructor(private readonly options: AdmissionQueueOptions) {}

  /** Requests held now. */
  get depth(): number {
    return this.held.length;
  }

  /**
   * A request arrives: returns its ticket when it is held, or undefined when it should be
   * decided now (a worker has room, nobody of its model waits ahead of it, or the queue is full).
   */
  offer(model: string, dispatch: QueueTicket["dispatch"]): QueueTicket | undefined {
    if (!this.options.saturated(model)) {
      // A worker has room: those of this model held ahead go first (load may have dropped without an event, e.g. a worker joined).
      if (this.held.some((t) => t.model === model)) this.release();
      if (!this.held.some((t) => t.model === model) && !this.options.saturated(model)) return undefined;
    }
    if (this.held.length >= this.options.maxLength) return undefined;
    const ticket: QueueTicket = { model, enqueuedAt: this.options.now(), dispatch };
    this.held.push(ticket);
    return ticket;
  }

  /** The client went away: the ticket leaves the queue. False when it had already left. */
  cancel(ticket: QueueTicket): boolean {
    const i = this.held.indexOf(ticket);
    if (i < 0) return false;
    this.held.splice(i, 1);
    this.options.exited?.("cancelled", this.options.now() - ticket.enqueuedAt);
    return true;
  }

  /**
   * A worker's in-flight prefill dropped: dispatch held requests, oldest first, while their
   * model has an unsaturated worker (each dispatch admits load, so saturation is asked again).
   * Also times out requests held longer than the max wait.
   */
  release(): void {
    // A dispatch may finish a request synchronously and call release again: one pass at a time.
    if (this.releasing) return;
    this.releasing = true;
    try {
      this.expire();
      const blocked = new Set<string>();
      for (let i = 0; i < this.held.length; ) {
        const ticket = this.held[i];
        if (blocked.has(ticket.model) || this.options.saturated(ticket.model)) {
          blocked.add(ticket.model);
          i++;
          continue;
        }
        this.held.splice(i, 1);
        this.leave(ticket, "released");
      }
    } finally {
      this.releasing = false;
    }
  }

  /** Dispatch every request held for at least the max wait (oldest first). */
  expire(): void {
    const cutoff = this.options.now() - this.options.maxWaitMs;
    while (this.held.length > 0) {
      const i = this.held.findIndex((t) => t.enqueuedAt <= cutoff);
      if (i < 0) return;
      const [ticket] = this.held.splice(i, 1);
      this.leave(ticket, "timeout");
    }
  }

  /** When the oldest held request times out (ms on the injected clock); undefined when empty. */
  nextDeadline(): number | undefined {
    return this.held.length === 0 ? undefined : this.held[0].enqueuedAt + this.options.maxWaitMs;
  }

  private leave(ticket: QueueTicket, exit: "released" | "timeout"): void {
    this.options.exited?.(exit, this.options.now() - ticket.enqueuedAt);
    ticket.dispatch(exit);
  }
}

/**
 * The saturation test: every candidate carries at least `thresholdTokens` uncached prompt
 * tokens routed to it whose first token has not come back (prefill work in flight). No
 * candidates: not saturated (deciding reports the error).
 */
export function allSaturated(prefillInFlight: readonly number[], thresholdTokens: number): boolean {
  return prefillInFlight.length > 0 && prefillInFlight.every((t) => t >= thresholdTokens);
}
