/**
 * `kvmesh up`: the whole mesh on one machine — workers, router, preprocessor and frontend as
 * supervised child processes on the embedded defaults (file discovery; NATS when --nats-url is
 * given) — printed as a URL and a curl example once healthy. A service that exits afterwards is
 * restarted with backoff (supervisor.ts); only Ctrl-C / SIGTERM stops the mesh.
 */
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadServiceConfig } from "#common/config/index.js";
import { startupBanner } from "./banner.js";
import { serviceNodeArgs, startChild } from "./child.js";
import type { Child } from "./child.js";
import { argsFor, givenFlags } from "./forward-args.js";
import { meshIdentity, meshLine } from "./mesh-identity.js";
import type { MeshIdentity } from "./mesh-identity.js";
import { metricsPortOrder, metricsPorts } from "./metrics-ports.js";
import { SupervisedService } from "./supervisor.js";
import { listenHost, upSpec } from "./up-flags.js";
import type { UpService } from "./up-flags.js";

/** How much longer than --shutdown-grace a child may take to stop before it is killed. */
const STOP_MARGIN_MS = 5_000;

/** The config keys `up` reads itself. */
type UpConfig = Record<string, unknown> & {
  workers: number; engine: string; listen: string; startupTimeoutMs: number; httpPort: number; serviceHeapMb: number;
  metricsPort?: number; shutdownGraceMs: number; join?: string; namespace?: string; discoveryDir?: string; discovery: string;
};

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

/** The last value of a numeric `field` in a child's log records (a port it printed). */
function lastPrinted(child: Child | undefined, field: string): number | undefined {
  const found = [...(child?.records ?? [])].reverse().find((r) => typeof r[field] === "number");
  return found?.[field] as number | undefined;
}

/** The mesh identity from the config (namespace and registry dir are set only when given, by flag or KVMESH_* variable). */
function identityOf(config: UpConfig): MeshIdentity {
  return meshIdentity({ join: config.join, namespace: config.namespace, discoveryDir: config.discoveryDir, httpPort: config.httpPort, pid: process.pid });
}

/** Runs the mesh; resolves -1 while it runs (the signal handler exits), or an exit code. */
export async function runUp(argv: string[]): Promise<number> {
  const spec = upSpec();
  const loaded = loadServiceConfig({ service: "up", spec, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const config = loaded.config as UpConfig;
  const given = givenFlags(argv, spec);
  // Every engine but onnx (mocker, echo) hosts its N workers in one process.
  const mocker = config.engine !== "onnx";
  const workerNames = mocker ? ["worker"] : Array.from({ length: config.workers }, (_, i) => `worker-${i}`);
  let identity: MeshIdentity;
  let ports: Map<string, number | undefined>;
  try {
    identity = identityOf(config);
    ports = metricsPorts(config.metricsPort, metricsPortOrder(workerNames));
  } catch (err) {
    console.error(`kvmesh up: ${(err as Error).message}\n(kvmesh up --help lists the flags)`);
    return 2;
  }
  if (config.discovery === "file") mkdirSync(identity.discoveryDir, { recursive: true });
  const cli = process.argv[1];
  const logDir = join(homedir(), ".kvmesh", "logs", `up-${process.pid}`);
  mkdirSync(logDir, { recursive: true });
  const host = listenHost(config.listen);
  const common = ["--listen", `${host}:0`, "--namespace", identity.namespace, "--discovery-dir", identity.discoveryDir];
  const echo = (line: string): void => void process.stderr.write(`${line}\n`);
  const heapArgs = serviceNodeArgs(config.serviceHeapMb);
  const services: SupervisedService[] = [];
  let stopping = false;
  let startupFailure: Error | undefined;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    // The entry first, the workers last: requests in flight drain down the chain.
    for (const svc of [...services].reverse()) await svc.stop(config.shutdownGraceMs + STOP_MARGIN_MS);
  };
  const start = (name: string, service: UpService, listeningCount: number, extra: string[] = []): SupervisedService => {
    // A restart keeps the ports the first run printed, so the URL and scrape targets stay valid.
    const spawn = (previous: Child | undefined): Child => {
      const configured = ports.get(name);
      const metrics = configured === 0 ? (lastPrinted(previous, "metrics_port") ?? 0) : configured;
      const http = service === "frontend" && !config.httpPort && previous ? ["--http-port", String(lastPrinted(previous, "http_port") ?? 0)] : [];
      const args = [service, ...argsFor(service, given), ...common, ...(metrics === undefined ? [] : ["--metrics-port", String(metrics)]), ...extra, ...http];
      return startChild(name, cli, args, join(logDir, `${name}.log`), echo, heapArgs);
    };
    const svc = new SupervisedService({
      name, spawn, listeningCount, startupTimeoutMs: config.startupTimeoutMs, echo,
      onEarlyExit: (code, child) => {
        if (stopping) return;
        startupFailure = new Error(`${name} exited during start-up (${code}); last lines:\n${child.tail.join("\n")}`);
      },
    });
    services.push(svc);
    return svc;
  };

  const onSignal = (): void => {
    if (stopping) return;
    process.stdout.write("\nstopping the mesh...\n");
    void stopAll().then(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const workerProcs = mocker ? [start("worker", "worker", config.workers, ["--workers", String(config.workers)])]
      : workerNames.map((name) => start(name, "worker", 1));
    const workers = (await Promise.all(workerProcs.map((w) => w.waitListening()))).flat();
    await start("router", "router", 1).waitListening();
    await start("preprocessor", "preprocessor", 1).waitListening();
    const frontend = start("frontend", "frontend", 1, given.has("http-port") ? [] : ["--http-port", String(config.httpPort)]);
    const [front] = await frontend.waitListening();
    const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${front.http_port as number}`;
    await waitHealthy(url, config.startupTimeoutMs, () => startupFailure ?? (stopping ? new Error("stopped during start-up") : undefined));
    services.forEach((s) => s.supervise());
    process.stdout.write(startupBanner({
      url, model: String(workers[0].model), logDir, mesh: meshLine(identity),
      workers: workers.map((w) => ({ id: String(w.worker_id), port: Number(w.port) })),
      services: [...services].reverse().map((s) => ({ name: s.current.name, pid: s.current.process.pid, metricsPort: lastPrinted(s.current, "metrics_port") ?? ports.get(s.current.name) })),
    }));
  } catch (err) {
    echo(`kvmesh up: ${(startupFailure ?? (err as Error)).message}`);
    await stopAll();
    return 1;
  }
  return -1;
}
