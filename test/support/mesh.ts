// A whole mesh of real processes for end-to-end tests — workers, a router, a preprocessor and a
// frontend sharing one temp file-discovery directory — started service by service so tests can
// add workers, routers or frontends with their own flags.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProcess } from "./process.js";
import type { TestProcess } from "./process.js";
import { repoRoot } from "./stories-model.js";
import { KVMESH_CLI, startWorkerProcess } from "./worker-process.js";
import type { WorkerProcess } from "./worker-process.js";

/** A running mesh. */
export interface Mesh {
  readonly registryDir: string;
  readonly workers: WorkerProcess[];
  /** `http://127.0.0.1:<port>` of the first frontend. */
  readonly url: string;
  /** Starts one more worker process in the mesh. */
  addWorker(flags: string[]): Promise<WorkerProcess>;
  /** Starts one more frontend; resolves its base URL. */
  addFrontend(flags: string[]): Promise<string>;
  /** Starts a service by name with the mesh's discovery flags; resolves once it listens. */
  addService(service: string, flags: string[]): Promise<TestProcess>;
}

const DISCOVERY_TTL = ["--discovery-ttl", "1s"];

/** Starts workers (one process per flag list), then router, preprocessor and frontend. */
export async function startMesh(workerFlags: string[][], options: { router?: string[]; preprocessor?: string[]; frontend?: string[] } = {}): Promise<Mesh> {
  const registryDir = mkdtempSync(join(tmpdir(), "kvmesh-mesh-"));
  const workers = await Promise.all(workerFlags.map((flags) => startWorkerProcess(flags, { registryDir })));
  const addService = async (service: string, flags: string[]): Promise<TestProcess> => {
    const proc = startProcess("node", [KVMESH_CLI, service, "--discovery-dir", registryDir, ...DISCOVERY_TTL, ...flags], { cwd: repoRoot });
    await proc.waitForListening(30_000);
    return proc;
  };
  const addFrontend = async (flags: string[]): Promise<string> => {
    const proc = await addService("frontend", ["--http-port", "0", ...flags]);
    const line = proc.lines.find((l) => l.includes('"msg":"listening"'))!;
    const url = `http://127.0.0.1:${(JSON.parse(line) as { http_port: number }).http_port}`;
    for (let i = 0; i < 200 && !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
    return url;
  };
  await addService("router", options.router ?? []);
  await addService("preprocessor", options.preprocessor ?? []);
  const url = await addFrontend(options.frontend ?? []);
  return {
    registryDir, workers, url, addFrontend, addService,
    addWorker: async (flags) => {
      const worker = await startWorkerProcess(flags, { registryDir });
      workers.push(worker);
      return worker;
    },
  };
}
