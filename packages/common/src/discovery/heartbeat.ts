/**
 * Runs a registration's operations one at a time (heartbeats, draining, deregistration), and
 * heartbeats on a timer until stopped. Serializing matters: a heartbeat still writing when
 * deregistration removes the record would otherwise bring the record back.
 */
export class Heartbeat {
  private tail: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * @param beat one heartbeat (refresh the TTL)
   * @param intervalMs time between the end of one beat and the start of the next (ttl/3)
   * @param onError called with a failed beat's error; the timer keeps going, so a transient
   *   failure is retried on the next beat
   */
  constructor(
    private readonly beat: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Starts the timer (the caller did the first write itself). */
  start(): void {
    this.schedule();
  }

  /** Runs `op` after every earlier operation finished; its error goes to the caller. */
  run(op: () => Promise<void>): Promise<void> {
    const next = this.tail.then(op);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Stops the timer and waits for an in-flight beat, so nothing writes after this resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.tail;
  }

  /** Whether `stop` was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      void this.run(async () => {
        if (this.stopped) return;
        await this.beat();
      })
        .catch((err: unknown) => this.onError(err))
        .finally(() => this.schedule());
    }, this.intervalMs);
  }
}
