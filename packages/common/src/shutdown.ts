/**
 * Graceful shutdown on SIGTERM / SIGINT: run the service's steps once, in order (the order of
 * ARCHITECTURE.md: deregister → NOT_SERVING → stop accepting → drain → close NATS), then exit 0.
 * A second signal while they run forces exit 1. A service started by a supervisor (`kvmesh up`)
 * also shuts down when the supervisor's end of its stdin closes: a supervisor that was killed
 * outright (SIGKILL, OOM) cannot stop its children, and they must not outlive it.
 */
import type { Logger } from "./logger.js";

/** One shutdown step; it gets the grace period (ms) and may ignore it. */
export type ShutdownStep = (graceMs: number) => Promise<void> | void;

/** Set to "stdin" by a supervisor whose children should stop when their stdin pipe closes. */
export const PARENT_PIPE_ENV = "KVMESH_PARENT_PIPE";

/** Options of {@link onShutdownSignal} (the process hooks are injectable for tests). */
export interface ShutdownOptions {
  signals?: readonly NodeJS.Signals[];
  /** Shut down when this stream ends (default: stdin when KVMESH_PARENT_PIPE=stdin, else none). */
  parentPipe?: NodeJS.ReadableStream;
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
  const parentPipe = options.parentPipe ?? (process.env[PARENT_PIPE_ENV] === "stdin" ? process.stdin : undefined);
  if (parentPipe) {
    // Once a shutdown runs, the parent going away is expected (it exits after its children).
    const orphaned = (): void => void (running ?? shutdown("parent exited"));
    parentPipe.once("end", orphaned);
    parentPipe.once("error", orphaned);
    parentPipe.resume();
  }
  return shutdown;
}
