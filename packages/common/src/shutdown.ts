/**
 * Graceful shutdown on SIGTERM / SIGINT: run the service's steps once, in order (the order of
 * ARCHITECTURE.md: deregister → NOT_SERVING → stop accepting → drain → close NATS), then exit 0.
 * A second signal while they run forces exit 1.
 */
import type { Logger } from "./logger.js";

/** One shutdown step; it gets the grace period (ms) and may ignore it. */
export type ShutdownStep = (graceMs: number) => Promise<void> | void;

/** Options of {@link onShutdownSignal} (the process hooks are injectable for tests). */
export interface ShutdownOptions {
  signals?: readonly NodeJS.Signals[];
  exit?: (code: number) => void;
  process?: Pick<NodeJS.Process, "on" | "off">;
}

/**
 * Installs the handlers. Returns the function that runs the shutdown (also callable directly,
 * e.g. from a fatal error path); it resolves after `exit` was called.
 */
export function onShutdownSignal(log: Logger, graceMs: number, steps: readonly ShutdownStep[], options: ShutdownOptions = {}): (reason?: string) => Promise<void> {
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const proc = options.process ?? process;
  let running: Promise<void> | undefined;

  const shutdown = (reason = "shutdown"): Promise<void> => {
    if (running) {
      log.warn({ reason }, "second shutdown signal: exiting now");
      exit(1);
      return running;
    }
    running = (async () => {
      log.info({ reason, grace_ms: graceMs }, "shutting down");
      let code = 0;
      for (const [i, step] of steps.entries()) {
        try {
          await step(graceMs);
        } catch (err) {
          // Keep going: a failed deregistration must not keep NATS open or the process alive.
          log.error({ err, step: i }, "shutdown step failed");
          code = 1;
        }
      }
      log.info({ code }, "exiting");
      exit(code);
    })();
    return running;
  };
  for (const signal of signals) proc.on(signal, () => void shutdown(signal));
  return shutdown;
}
