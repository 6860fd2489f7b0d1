// Starts a real nats-server on 127.0.0.1 for tests, reads its port from the log line, and can
// stop it (by pid: SIGTERM, then SIGKILL) and restart it on that same port.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { hasExited, terminate } from "#common/child-process.js";
import { existsSync } from "node:fs";

const LISTENING = /Listening for client connections on 127\.0\.0\.1:(\d+)/;

/** The nats-server binary: NATS_SERVER_BIN, else the Debian path, else whatever PATH finds. */
export function natsServerBinary(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];
  return candidates.find((path): path is string => !!path && existsSync(path));
}

/** A nats-server started by a test. */
export interface NatsServerHandle {
  readonly port: number;
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pid: number | undefined;
  /** Stops the server: SIGTERM, SIGKILL after `graceMs` (default 5 s). Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** Stops it if running and starts a new one on the same port. */
  restart(): Promise<void>;
}

/** Starts `nats-server -a 127.0.0.1 -p <port or -1>` and waits for its listening line. */
export async function startNatsServer(options: { port?: number; timeoutMs?: number } = {}): Promise<NatsServerHandle> {
  const binary = natsServerBinary();
  if (!binary) throw new Error("nats-server not found (set NATS_SERVER_BIN)");
  const timeoutMs = options.timeoutMs ?? 10_000;
  let child = await spawnServer(binary, options.port ?? -1, timeoutMs);
  const handle: NatsServerHandle = {
    port: child.port,
    url: `nats://127.0.0.1:${child.port}`,
    get pid() {
      return child.process.pid;
    },
    stop: (graceMs = 5000) => stopProcess(child.process, graceMs),
    restart: async () => {
      await stopProcess(child.process, 5000);
      child = await spawnServer(binary, handle.port, timeoutMs);
    },
  };
  return handle;
}

async function spawnServer(binary: string, port: number, timeoutMs: number): Promise<{ process: ChildProcess; port: number }> {
  const proc = spawn(binary, ["-a", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const bound = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`nats-server did not report listening within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = LISTENING.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    function fail(err: Error): void {
      clearTimeout(timer);
      proc.kill("SIGKILL");
      reject(err);
    }
    proc.stderr!.on("data", onData);
    proc.stdout!.on("data", onData);
    proc.once("error", fail);
    proc.once("exit", (code) => fail(new Error(`nats-server exited with ${code} before listening:\n${output}`)));
  });
  // Keep draining its log so the pipe never fills and blocks the server.
  proc.stderr!.resume();
  proc.stdout!.resume();
  return { process: proc, port: bound };
}

async function stopProcess(proc: ChildProcess, graceMs: number): Promise<void> {
  if (hasExited(proc)) return;
  await terminate(proc, new Promise<void>((resolve) => proc.once("exit", () => resolve())), graceMs);
}
