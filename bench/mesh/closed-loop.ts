/** A closed loop: `concurrency` senders, each sending its next request when the last one ends. */

/** Outcome fields the loop needs. */
export interface LoopOutcome {
  readonly outputTokens: number;
  readonly error?: string;
}

/** What a loop did. */
export interface LoopResult<T extends LoopOutcome> {
  readonly outcomes: T[];
  readonly wallMs: number;
}

/**
 * Runs until `requests` were sent (when given) or `durationMs` passed; every sender stops
 * sending after that and the loop waits for what is in flight.
 */
export async function closedLoop<T extends LoopOutcome>(
  concurrency: number, send: (i: number) => Promise<T>, limit: { requests?: number; durationMs?: number },
): Promise<LoopResult<T>> {
  const outcomes: T[] = [];
  const t0 = performance.now();
  let sent = 0;
  const more = (): boolean =>
    (limit.requests === undefined || sent < limit.requests) && (limit.durationMs === undefined || performance.now() - t0 < limit.durationMs);
  const sender = async (): Promise<void> => {
    while (more()) outcomes.push(await send(sent++));
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return { outcomes, wallMs: performance.now() - t0 };
}
