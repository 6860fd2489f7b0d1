// `kvmesh up` as a test process: started with HOME in a temp dir (never the real ~/.kvmesh),
// its banner parsed into the URL, worker ids, mesh line and each service's pid and metrics port.
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProcess } from "./process.js";
import type { TestProcess } from "./process.js";
import { repoRoot } from "./stories-model.js";
import { KVMESH_CLI } from "./worker-process.js";

/** A running `kvmesh up`. */
export interface UpProcess {
  readonly proc: TestProcess;
  readonly home: string;
  readonly url: string;
  readonly workerIds: string[];
  /** The banner's `mesh:` line. */
  readonly mesh: string;
  /** pid and metrics port of each service, by name (frontend, preprocessor, router, worker...). */
  readonly services: Map<string, { pid: number; metricsPort: number | undefined }>;
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `kvmesh up <args>` and waits for its banner. */
export async function startUp(args: string[], options: { home?: string; timeoutMs?: number } = {}): Promise<UpProcess> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), "kvmesh-up-home-"));
  const proc = startProcess("node", [KVMESH_CLI, "up", ...args], { cwd: repoRoot, env: { HOME: home, HF_HOME: join(home, "hf") } });
  await proc.waitForLine(/^Ctrl-C stops the mesh\./, options.timeoutMs ?? 120_000);
  const text = proc.lines.join("\n");
  const url = /kvmesh is up: (http:\/\/[\d.]+:\d+)/.exec(text)![1];
  const workerIds = [...(/^workers: (.*)$/m.exec(text)![1].matchAll(/(worker-[0-9a-f]+)/g))].map((m) => m[1]);
  const mesh = /^mesh: .*$/m.exec(text)![0];
  const services = new Map<string, { pid: number; metricsPort: number | undefined }>();
  for (const m of text.matchAll(/^ {2}(\S+)\s+pid (\d+)\s+(?:metrics http:\/\/[\d.]+:(\d+)\/metrics|no metrics)/gm)) {
    services.set(m[1], { pid: Number(m[2]), metricsPort: m[3] === undefined ? undefined : Number(m[3]) });
  }
  return { proc, home, url, workerIds, mesh, services };
}

/** The pid of `name` after its `n`-th restart, from up's "restarted" line. */
export async function restartedPid(up: UpProcess, name: string, n: number, timeoutMs = 15_000): Promise<number> {
  const line = await up.proc.waitForLine(new RegExp(`^kvmesh up: ${name} restarted \\(pid \\d+, restart ${n}\\)`), timeoutMs);
  return Number(/pid (\d+)/.exec(line)![1]);
}
