/**
 * The mesh bench:mesh measures: mocker workers, a router, a preprocessor and a frontend as
 * separate processes (as `kvmesh up` runs them), each started here so its pid is known for CPU
 * accounting. Own temp registry and namespace: other meshes on the machine are never joined.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { forEachLine, terminate } from "#common/child-process.js";

const KVMESH_JS = fileURLToPath(new URL("../../cli/kvmesh.js", import.meta.url));

/** One started service process. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Parsed JSON lines whose msg is "listening", in order. */
  readonly listening: Record<string, unknown>[];
  stop(): Promise<unknown>;
}

/** The running mesh. */
export interface BenchMesh {
  /** Frontend base URL. */
  readonly url: string;
  /** `127.0.0.1:port` of each mocker worker. */
  readonly workerAddresses: readonly string[];
  readonly frontend: ServiceProcess;
  readonly preprocessor: ServiceProcess;
  readonly router: ServiceProcess;
  readonly worker: ServiceProcess;
  stop(): Promise<void>;
}

function startService(name: string, args: string[], listeningLines: number, nodeArgs: readonly string[] = [], timeoutMs = 60_000): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, KVMESH_JS, name, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<unknown>((resolve) => child.once("exit", resolve));
  const listening: Record<string, unknown>[] = [];
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not listen within ${timeoutMs} ms:\n${tail.join("\n")}`)), timeoutMs);
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (!line.includes('"msg":"listening"')) return;
      listening.push(JSON.parse(line) as Record<string, unknown>);
      if (listening.length === listeningLines) {
        clearTimeout(timer);
        resolve({ name, pid: child.pid!, listening, stop: () => terminate(child, exited, 10_000) });
      }
    };
    forEachLine(child.stdout, onLine);
    forEachLine(child.stderr, onLine);
    void exited.then((code) => reject(new Error(`${name} exited (${String(code)}) before listening:\n${tail.join("\n")}`)));
  });
}

/**
 * Starts `workers` mocker workers in one process at `speedupRatio`, then router, preprocessor,
 * frontend. With `cpuProfDir`, the three measured hops run under `node --cpu-prof` and write
 * their .cpuprofile there as they exit (the way to see where their CPU per token or request goes).
 */
export async function startBenchMesh(workers: number, speedupRatio: number, cpuProfDir?: string): Promise<BenchMesh> {
  const dir = mkdtempSync(join(tmpdir(), "kvmesh-bench-mesh-"));
  // info: the listening lines are info; no service logs per request at info.
  const common = ["--discovery-dir", dir, "--namespace", `bench-mesh-${process.pid}`, "--log-level", "info"];
  const started: ServiceProcess[] = [];
  try {
    const worker = await startService("worker", [...common, "--engine", "mocker", "--workers", String(workers), "--speedup-ratio", String(speedupRatio)], workers);
    started.push(worker);
    // NODE_OPTIONS may not carry --cpu-prof: it goes on each hop's own command line.
    const prof = cpuProfDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", cpuProfDir];
    const router = await startService("router", common, 1, prof);
    started.push(router);
    const preprocessor = await startService("preprocessor", common, 1, prof);
    started.push(preprocessor);
    const frontend = await startService("frontend", [...common, "--http-port", "0"], 1, prof);
    started.push(frontend);
    const url = `http://127.0.0.1:${frontend.listening[0].http_port as number}`;
    await waitHealthy(url);
    return {
      url, worker, router, preprocessor, frontend,
      workerAddresses: worker.listening.map((l) => `127.0.0.1:${l.port as number}`),
      stop: async () => {
        for (const s of started.reverse()) await s.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.stop();
    throw err;
  }
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/health never answered 200`);
}
