// Child processes for integration tests: spawn, collect output lines, wait for a line or for
// the pino "listening" line, and stop by pid (SIGTERM, then SIGKILL). Every process started
// here is remembered so an after hook can stop whatever a failed test left running; only
// these pids are ever signalled.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { forEachLine, terminate } from "#common/child-process.js";

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  /** Added to (and overriding) this process's env. */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** A process started by a test. */
export interface TestProcess {
  readonly pid: number;
  /** Every stdout and stderr line so far, in arrival order. */
  readonly lines: string[];
  /** The exit code once exited (null when killed by a signal), undefined while running. */
  readonly exitCode: number | null | undefined;
  /** The first line (seen so far or later) matching `pattern`; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The `port` of the pino `"msg":"listening"` line. */
  waitForListening(timeoutMs?: number): Promise<number>;
  /** Resolves with the exit code; rejects after `timeoutMs`. */
  waitForExit(timeoutMs?: number): Promise<number | null>;
  /** Sends one signal and does not wait (for tests of graceful shutdown). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL after `graceMs`; resolves with the exit code (null if killed). */
  stop(graceMs?: number): Promise<number | null>;
}

const running = new Set<TestProcess>();

/** Spawns `cmd args` with piped output. */
export function startProcess(cmd: string, args: readonly string[], options: StartProcessOptions = {}): TestProcess {
  const child: ChildProcess = spawn(cmd, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`could not spawn ${cmd}`);
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let exitCode: number | null | undefined;
  const notify = (): void => listeners.forEach((l) => l());
  const onLine = (line: string): void => {
    lines.push(line);
    notify();
  };
  forEachLine(child.stdout, onLine);
  forEachLine(child.stderr, onLine);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      exitCode = code;
      running.delete(handle);
      resolve(code);
      notify();
    });
  });

  const waitFor = <T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const poll = (): void => {
        const found = check();
        if (found !== undefined) finish(() => resolve(found));
        else if (exitCode !== undefined) finish(() => reject(new Error(`process ${child.pid} exited (${exitCode}) before ${what}:\n${lines.join("\n")}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${lines.join("\n")}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(poll);
        settle();
      };
      listeners.add(poll);
      poll();
    });

  const handle: TestProcess = {
    pid: child.pid,
    lines,
    get exitCode() {
      return exitCode;
    },
    waitForLine: (pattern, timeoutMs = 10_000) => waitFor(`a line matching ${pattern}`, timeoutMs, () => lines.find((l) => pattern.test(l))),
    waitForListening: (timeoutMs = 10_000) => waitFor('the "listening" line', timeoutMs, () => lines.map(listeningPort).find((p) => p !== undefined)),
    waitForExit: (timeoutMs = 10_000) =>
      Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`process ${child.pid} still running after ${timeoutMs} ms`)), timeoutMs).unref())]),
    signal: (signal) => {
      if (exitCode === undefined) child.kill(signal);
    },
    stop: async (graceMs = 5000) => (exitCode !== undefined ? exitCode : terminate(child, exited, graceMs)),
  };
  running.add(handle);
  return handle;
}

/** The port of a pino `"msg":"listening"` line, else undefined. */
function listeningPort(line: string): number | undefined {
  if (!line.includes('"listening"')) return undefined;
  try {
    const record = JSON.parse(line) as { msg?: unknown; port?: unknown };
    return record.msg === "listening" && typeof record.port === "number" ? record.port : undefined;
  } catch {
    return undefined;
  }
}

/** Stops every process started through {@link startProcess} that is still running (for after hooks). */
export async function stopAllProcesses(graceMs = 5000): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(graceMs)));
}
