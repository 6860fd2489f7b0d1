/**
 * Late binding: while every worker a request could go to is saturated, the router holds the
 * request instead of deciding on stale state, and decides it when a worker's in-flight prefill
 * drops (a first token, a finish, a cancel). Domain code: no clock of its own, no timers, no
 * I/O — the mesh (decider) and the simulator drive it, so both share one decide path.
 */

/** The order held requests leave in: arrival order, or the shortest prompt first (with aging). */
export const QUEUE_ORDERS = ["fifo", "shortest"] as const;
/** One of {@link QUEUE_ORDERS}. */
export type QueueOrder = (typeof QUEUE_ORDERS)[number];

/**
 * Shortest-first's bound on overtaking: a request held this long goes before every shorter one
 * (oldest first), so a long prompt waits at most this plus its turn among the aged.
 */
export const QUEUE_AGING_MS = 1000;

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
  /** Release order (default fifo). */
  readonly order?: QueueOrder;
  /** Whether every candidate worker of this model is saturated now. */
  readonly saturated: (model: string) => boolean;
  /** A request left the queue after `waitedMs` (metrics). */
  readonly exited?: (exit: QueueExit, waitedMs: number) => void;
}

/** One held request. */
export interface QueueTicket {
  readonly model: string;
  readonly enqueuedAt: number;
  /** The request's size for shortest-first: its prompt tokens. */
  readonly size: number;
  /** The request's turn came (released or timed out): decide it now. Not called after a cancel. */
  readonly dispatch: (exit: "released" | "timeout") => void;
}

/**
 * Held requests (Dynamo's router queue, llm-d's flow control): arrival order within a model, or
 * with `order: "shortest"` the shortest prompt first — a short prompt held behind a long one
 * waits the long one's whole prefill for nothing it needs (in `kvmesh sim`, shortest-first took
 * ttft+queue's TTFT p50 from 237 to ~225 ms at 80% load) — except that a request held
 * {@link QUEUE_AGING_MS} goes first. A model whose workers are saturated does not block another
 * model's requests.
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
  offer(model: string, dispatch: QueueTicket["dispatch"], size = 0): QueueTicket | undefined {
    if (!this.options.saturated(model)) {
      // A worker has room: those of this model held ahead go first (load may have dropped without an event, e.g. a worker joined).
      if (this.held.some((t) => t.model === model)) this.release();
      if (!this.held.some((t) => t.model === model) && !this.options.saturated(model)) return undefined;
    }
    if (this.held.length >= this.options.maxLength) return undefined;
    const ticket: QueueTicket = { model, enqueuedAt: this.options.now(), size, dispatch };
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
   * A worker's in-flight prefill dropped: dispatch held requests, in the queue's order, while their
   * model has an unsaturated worker (each dispatch admits load, so saturation is asked again).
   * Also times out requests held longer than the max wait.
   */
  release(): void {
    // A dispatch may finish a request synchronously and call release again: one pass at a time.
    if (this.releasing) return;
    this.releasing = true;
    try {
      this.expire();
      if (this.options.order === "shortest") this.sortShortestFirst();
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
    // Shortest-first reorders the held tickets: the oldest is not always the first.
    let oldest = Number.POSITIVE_INFINITY;
    for (const t of this.held) oldest = Math.min(oldest, t.enqueuedAt);
    return this.held.length === 0 ? undefined : oldest + this.options.maxWaitMs;
  }

  /** Aged tickets first (oldest first), then by size, ties in arrival order (the sort is stable). */
  private sortShortestFirst(): void {
    const agedBefore = this.options.now() - QUEUE_AGING_MS;
    this.held.sort((a, b) => {
      const agedA = a.enqueuedAt <= agedBefore;
      const agedB = b.enqueuedAt <= agedBefore;
      if (agedA !== agedB) return agedA ? -1 : 1;
      return agedA ? a.enqueuedAt - b.enqueuedAt : a.size - b.size;
    });
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
