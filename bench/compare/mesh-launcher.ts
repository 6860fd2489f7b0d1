/**
 * Starts a local mesh (`kvmesh up ...`, or any command that prints its URL), waits until its
 * /health answers 200, and stops it by pid. The command, the spawn and the health probe are
 * injected, so tests drive it with a stub process and no sockets.
 */
import { spawn as nodeSpawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { forEachLine, terminate } from "#common/child-process.js";

/** The first loopback URL on a line: how `kvmesh up` announces the frontend. */
export const URL_PATTERN = /http:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+/;

/** Inputs of {@link launchMesh}. */
export interface LaunchOptions {
  /** Executable and leading arguments, e.g. [node, dist/cli/kvmesh.js, "up"]. */
  readonly command: readonly string[];
  /** Appended to `command` (the up flags). */
  readonly args: readonly string[];
  /** Longest wait for the URL line and then for /health 200. */
  readonly readyTimeoutMs: number;
  /** Every output line (for logs); default: dropped. */
  readonly onLine?: (line: string) => void;
  /** Status of GET `${url}/health`; rejects while the server is not up. Default: fetch. */
  readonly healthStatus?: (url: string) => Promise<number>;
  readonly spawn?: (cmd: string, args: readonly string[]) => ChildProcess;
  readonly pollMs?: number;
}

/** A running mesh. */
export interface RunningMesh {
  readonly url: string;
  readonly pid: number;
  /** Every output line so far. */
  readonly lines: readonly string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null if killed by a signal). */
  stop(graceMs?: number): Promise<number | null>;
}

/** Every mesh launched and not yet stopped, so a signal handler can stop them (see {@link stopAllMeshes}). */
const running = new Set<RunningMesh>();

/** Stops every mesh still running (for SIGINT / SIGTERM: a mesh must not outlive the bench). */
export async function stopAllMeshes(graceMs = 10_000): Promise<void> {
  await Promise.all([...running].map((m) => m.stop(graceMs)));
}

const defaultHealth = async (url: string): Promise<number> => (await fetch(`${url}/health`)).status;
const defaultSpawn = (cmd: string, args: readonly string[]): ChildProcess => nodeSpawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });

/** Launches and waits for health; on any failure the process is stopped and the error names its output. */
export async function launchMesh(options: LaunchOptions): Promise<RunningMesh> {
  const [cmd, ...lead] = options.command;
  const child = (options.spawn ?? defaultSpawn)(cmd, [...lead, ...options.args]);
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  const lines: string[] = [];
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve((exitCode = code))));
  let url: string | undefined;
  const onLine = (line: string): void => {
    lines.push(line);
    options.onLine?.(line);
    url ??= URL_PATTERN.exec(line)?.[0];
  };
  forEachLine(child.stdout, onLine);
  forEachLine(child.stderr, onLine);
  const stop = async (graceMs = 10_000): Promise<number | null> => {
    running.delete(mesh);
    if (exitCode !== undefined) return exitCode;
    return terminate(child, exited, graceMs);
  };
  const mesh: RunningMesh = {
    get url() {
      return url ?? "";
    },
    pid: child.pid,
    lines,
    stop,
  };
  running.add(mesh);
  const deadline = Date.now() + options.readyTimeoutMs;
  const poll = options.pollMs ?? 200;
  const health = options.healthStatus ?? defaultHealth;
  const fail = async (why: string): Promise<never> => {
    await stop(2000);
    throw new Error(`${[cmd, ...lead].join(" ")}: ${why}\n${lines.slice(-20).join("\n")}`);
  };
  for (;;) {
    if (exitCode !== undefined) return fail(`exited (${exitCode}) before it was healthy`);
    if (Date.now() > deadline) return fail(`not healthy within ${options.readyTimeoutMs} ms${url ? ` (${url})` : " (no URL printed)"}`);
    if (url !== undefined && (await health(url).catch(() => 0)) === 200) break;
    await new Promise((r) => setTimeout(r, poll));
  }
  return mesh;
}
