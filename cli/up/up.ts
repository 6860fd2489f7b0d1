/**
 * `kvmesh up`: the whole mesh on one machine — workers, router, preprocessor and frontend as
 * child processes on the embedded defaults (file discovery; NATS when --nats-url is given) —
 * printed as a URL and a curl example once healthy. Ctrl-C stops everything.
 */
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadServiceConfig } from "#common/config/index.js";
import { startChild } from "./child.js";
import type { Child } from "./child.js";
import { argsFor, givenFlags } from "./forward-args.js";
import { upSpec } from "./up-flags.js";
import { startupBanner } from "./banner.js";

/** How long each child may take to stop on Ctrl-C. */
const STOP_GRACE_MS = 15_000;

/** Resolves /health 200 from `url`, or rejects after `timeoutMs`. */
async function waitHealthy(url: string, timeoutMs: number, failed: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = failed();
    if (failure) throw failure;
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the mesh did not become healthy within ${timeoutMs} ms (${url}/health)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs the mesh; resolves -1 while it runs (the signal handler exits), or an exit code. */
export async function runUp(argv: string[]): Promise<number> {
  const spec = upSpec();
  const loaded = loadServiceConfig({ service: "up", spec, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config as Record<string, unknown> & { workers: number; engine: string; listen: string; startupTimeoutMs: number; httpPort: number };
  const given = givenFlags(argv, spec);
  const cli = process.argv[1];
  const logDir = join(homedir(), ".kvmesh", "logs", `up-${process.pid}`);
  mkdirSync(logDir, { recursive: true });
  const host = config.listen.slice(0, config.listen.lastIndexOf(":")) || "127.0.0.1";
  const listen = ["--listen", `${host}:0`];
  const echo = (line: string): void => void process.stderr.write(`${line}\n`);
  const children: Child[] = [];
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    // The entry first, the workers last: requests in flight drain down the chain.
    for (const child of [...children].reverse()) await child.stop(STOP_GRACE_MS);
  };
  const start = (name: string, service: Parameters<typeof argsFor>[0], extra: string[]): Child => {
    const child = startChild(name, cli, [service, ...argsFor(service, given), ...listen, ...extra], join(logDir, `${name}.log`), echo);
    children.push(child);
    void child.exited.then((code) => {
      if (stopping) return;
      echo(`kvmesh up: ${name} exited unexpectedly (${code}); last lines:\n${child.tail.join("\n")}`);
      void stopAll().then(() => process.exit(1));
    });
    return child;
  };

  const onSignal = (): void => {
    if (stopping) return;
    process.stdout.write("\nstopping the mesh...\n");
    void stopAll().then(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const mocker = config.engine !== "onnx";
    const workerProcs = mocker ? [start("worker", "worker", ["--workers", String(config.workers)])]
      : Array.from({ length: config.workers }, (_, i) => start(`worker-${i}`, "worker", []));
    const workers = (await Promise.all(workerProcs.map((w) => w.waitListening(mocker ? config.workers : 1, config.startupTimeoutMs)))).flat();
    await start("router", "router", []).waitListening(1, config.startupTimeoutMs);
    await start("preprocessor", "preprocessor", []).waitListening(1, config.startupTimeoutMs);
    const frontend = start("frontend", "frontend", given.has("http-port") ? [] : ["--http-port", String(config.httpPort)]);
    const [front] = await frontend.waitListening(1, config.startupTimeoutMs);
    const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${front.http_port as number}`;
    await waitHealthy(url, config.startupTimeoutMs, () => (stopping ? new Error("a service exited during start-up") : undefined));
    process.stdout.write(startupBanner({ url, model: String(workers[0].model), workers: workers.map((w) => ({ id: String(w.worker_id), port: Number(w.port) })), logDir }));
  } catch (err) {
    echo(`kvmesh up: ${(err as Error).message}`);
    await stopAll();
    return 1;
  }
  return -1;
}
