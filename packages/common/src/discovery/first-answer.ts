/**
 * A discovery watch's first answer, awaited with a bound. Every caller that needs the list of
 * a service's instances (the worker directory, the replica pools of the next hop) waits for it
 * here, so none can hang to its own request deadline on a discovery that never answers: past
 * the bound it fails at once with UNAVAILABLE and says why.
 */
import { NoWorkerError } from "../errors.js";

/** How long a request waits for discovery's first answer by default. */
export const FIRST_ANSWER_WAIT_MS = 5000;

/** Resolves once `arrived()` was called; `wait` bounds how long a caller waits for it. */
export class FirstAnswer {
  private done = false;
  private resolve: () => void = () => {};
  private readonly answered = new Promise<void>((resolve) => (this.resolve = resolve));

  /** @param what names what discovery lists, for the error ("the workers", "preprocessor replicas"). */
  constructor(private readonly what: string) {}

  /** Records the first answer (later calls do nothing). */
  arrived(): void {
    if (this.done) return;
    this.done = true;
    this.resolve();
  }

  /** True once the first answer arrived. */
  get hasArrived(): boolean {
    return this.done;
  }

  /**
   * Resolves when the first answer arrived; rejects with NoWorkerError (UNAVAILABLE) when it has
   * not within `timeoutMs` (0: only an answer already there passes). No timer outlives the wait.
   */
  wait(timeoutMs: number = FIRST_ANSWER_WAIT_MS): Promise<void> {
    if (this.done) return this.answered;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NoWorkerError(`discovery has not listed ${this.what} yet (waited ${timeoutMs} ms)`)), timeoutMs);
    });
    return Promise.race([this.answered, late]).finally(() => clearTimeout(timer));
  }
}
