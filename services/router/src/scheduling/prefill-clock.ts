/**
 * The ttft policy's clock of the prefill work this router sent: per worker, when the requests it
 * sent there without a first token yet are predicted to have their first tokens (the worker runs
 * prefills first come, first served). Counting those requests' whole prompts as work still to do
 * (the token count in flight) overstates a worker whose long prefill is nearly done; the clock
 * knows it is nearly done. Each first token corrects the clock: a request late (or early) by
 * e ms makes every request queued behind it on that worker e ms later (or earlier).
 */

/** A request sent and waiting for its first token. */
interface Pending {
  readonly workerId: string;
  /** Its uncached prompt tokens (what the token count in flight holds for it). */
  readonly tokens: number;
  /** Predicted first token, ms on the clock. */
  endMs: number;
}

/** One worker's queue as the clock sees it. */
interface WorkerQueue {
  /** When its last pending request is predicted to have its first token, ms. */
  drainMs: number;
  /** Uncached tokens of its pending requests. */
  tokens: number;
  readonly pending: Set<Pending>;
}

/** Predicted drain times of the prefills this router sent, per worker. */
export class PrefillClock {
  private readonly workers = new Map<string, WorkerQueue>();
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly now: () => number) {}

  /** Ms of prefill still ahead on `workerId` before a request sent now could start (0: none). */
  backlogMs(workerId: string): number {
    const w = this.workers.get(workerId);
    return w === undefined || w.pending.size === 0 ? 0 : Math.max(0, w.drainMs - this.now());
  }

  /** Uncached tokens of the requests the clock holds for `workerId` (its share of the tokens in flight). */
  pendingTokens(workerId: string): number {
    return this.workers.get(workerId)?.tokens ?? 0;
  }

  /** A request was sent: its own prefill (`ownMs`, `tokens` uncached) starts when the worker's backlog drains. */
  sent(requestId: string, workerId: string, ownMs: number, tokens: number): void {
    if (this.pending.has(requestId)) return;
    let w = this.workers.get(workerId);
    if (w === undefined) this.workers.set(workerId, (w = { drainMs: 0, tokens: 0, pending: new Set() }));
    const startMs = w.pending.size === 0 ? this.now() : Math.max(this.now(), w.drainMs);
    const p: Pending = { workerId, tokens, endMs: startMs + Math.max(0, ownMs) };
    w.drainMs = p.endMs;
    w.tokens += tokens;
    w.pending.add(p);
    this.pending.set(requestId, p);
  }

  /**
   * The request's first token came back (or it ended without one): the requests behind it on
   * its worker shift by its error. Unknown or already settled requests change nothing.
   */
  settled(requestId: string): void {
    const p = this.pending.get(requestId);
    if (p === undefined) return;
    this.pending.delete(requestId);
    const w = this.workers.get(p.workerId)!;
    w.pending.delete(p);
    w.tokens -= p.tokens;
    const errorMs = this.now() - p.endMs;
    if (w.pending.size === 0) {
      w.drainMs = this.now();
      return;
    }
    let drainMs = this.now();
    for (const q of w.pending) {
      if (q.endMs > p.endMs) q.endMs += errorMs;
      drainMs = Math.max(drainMs, q.endMs);
    }
    w.drainMs = drainMs;
  }
}
