/**
 * Two things every supervisor of child processes in kvmesh needs (`kvmesh up`, the bench's
 * mesh launcher, the test harness): its output as whole lines, and a stop by pid that asks
 * first (SIGTERM) and insists after a grace period (SIGKILL).
 */
import type { ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";

/** Calls `onLine` with each complete line of `stream` (utf8), and with the unterminated rest at its end. */
export function forEachLine(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => {
    if (partial) onLine(partial);
    partial = "";
  });
}

/** Whether the process has exited (by code or signal). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves with what `exited`
 * resolves to (the caller's own exit promise, so the exit code it recorded comes back).
 */
export async function terminate<T>(child: ChildProcess, exited: Promise<T>, graceMs: number): Promise<T> {
  if (!hasExited(child)) child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
