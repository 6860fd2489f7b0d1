/** The mesh's side of the router queue: a request's wait for its turn, as a promise. */
import type { QueueTicket } from "./admission-queue.js";

/** What {@link waitTurn} needs of the decider. */
export interface HoldingDecider {
  hold(model: string, dispatch: QueueTicket["dispatch"], size?: number): QueueTicket | undefined;
  cancelHeld(ticket: QueueTicket): void;
  expireHeld(): void;
  readonly queueMaxWaitMs: number | undefined;
}

/**
 * Resolves when the request may be decided: at once when the queue does not hold it, else when
 * a worker frees up or the max wait is over. An abort takes it out of the queue and resolves
 * (the caller sees the abort and ends the call), so a client that goes away leaves nothing behind.
 */
export function waitTurn(decider: HoldingDecider, model: string, signal: AbortSignal, promptTokens = 0): Promise<void> | undefined {
  // No queue (the common case): no timer, no promise.
  if (signal.aborted || decider.queueMaxWaitMs === undefined) return undefined;
  let settle!: () => void;
  const turn = new Promise<void>((resolve) => (settle = resolve));
  // The queue has no timers of its own: this one ends the wait (expireHeld dispatches every ticket due).
  const timer = setTimeout(() => decider.expireHeld(), decider.queueMaxWaitMs + 1);
  timer.unref?.();
  const done = (): void => {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    settle();
  };
  const ticket = decider.hold(model, done, promptTokens);
  if (ticket === undefined) {
    clearTimeout(timer);
    return undefined;
  }
  const onAbort = (): void => {
    decider.cancelHeld(ticket);
    done();
  };
  signal.addEventListener("abort", onAbort);
  return turn;
}
