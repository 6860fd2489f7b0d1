// Starts a real `kvmesh router` process for integration tests (compiled CLI, 1 s discovery
// TTL, metrics on an ephemeral port) and wraps the Router calls tests make.
import type { ServiceError } from "@grpc/grpc-js";
import { createClient } from "#common/grpc-client.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import type { ListWorkersResponse, RouteResponse, WorkerIndex } from "#contracts/gen/kvmesh/v1/router.js";
import type { DumpKvStateResponse } from "#contracts/gen/kvmesh/v1/worker.js";
import { startProcess } from "./process.js";
import type { TestProcess } from "./process.js";
import { repoRoot } from "./stories-model.js";
import { KVMESH_CLI } from "./worker-process.js";

/** A started router. */
export interface RouterProcess {
  readonly proc: TestProcess;
  readonly port: number;
  readonly metricsPort: number;
  readonly client: RouterClient;
  /** Closes the client and stops the process. */
  stop(): Promise<void>;
}

/** `kvmesh router --discovery-dir <dir> --discovery-ttl 1s --metrics-port 0 <flags>`. */
export async function startRouterProcess(registryDir: string, flags: string[]): Promise<RouterProcess> {
  const args = [KVMESH_CLI, "router", "--discovery-dir", registryDir, "--discovery-ttl", "1s", "--metrics-port", "0", ...flags];
  const proc = startProcess("node", args, { cwd: repoRoot });
  const port = await proc.waitForListening(20_000);
  const line = proc.lines.find((l) => l.includes('"msg":"listening"'))!;
  const metricsPort = (JSON.parse(line) as { metrics_port: number }).metrics_port;
  const client = createClient(RouterClient, `127.0.0.1:${port}`);
  return {
    proc, port, metricsPort, client,
    stop: async () => {
      client.close();
      await proc.stop();
    },
  };
}

/** Every message of one Router.Generate stream; rejects with the call's error. */
export function routerGenerate(client: RouterClient, request: Partial<GenerateRequest> & { tokenIds: number[]; model: string }, onMessage?: (m: GenerateResponse) => void): Promise<GenerateResponse[]> {
  const full: GenerateRequest = { requestId: `t-${Math.random().toString(36).slice(2)}`, ...request };
  return new Promise((resolve, reject) => {
    const out: GenerateResponse[] = [];
    const call = client.generate(full);
    call.on("data", (m: GenerateResponse) => {
      out.push(m);
      onMessage?.(m);
    });
    call.on("error", (err: ServiceError) => reject(err));
    call.on("end", () => resolve(out));
  });
}

function unaryCall<R>(run: (cb: (err: ServiceError | null, res: R) => void) => unknown): Promise<R> {
  return new Promise((resolve, reject) => run((err, res) => (err ? reject(err) : resolve(res))));
}

/** Router.DumpIndex's workers. */
export async function dumpIndex(client: RouterClient, model: string): Promise<WorkerIndex[]> {
  return (await unaryCall<{ workers: WorkerIndex[] }>((cb) => client.dumpIndex({ model }, cb))).workers;
}

/** Router.ListWorkers. */
export function listWorkers(client: RouterClient, model = ""): Promise<ListWorkersResponse> {
  return unaryCall((cb) => client.listWorkers({ model }, cb));
}

/** Router.Route (dry run). */
export function route(client: RouterClient, model: string, tokenIds: number[]): Promise<RouteResponse> {
  return unaryCall((cb) => client.route({ model, tokenIds }, cb));
}

/** worker id → its sorted sequence hashes, from a router's index. */
export function indexByWorker(workers: readonly WorkerIndex[]): Record<string, string[]> {
  return sortedRecord(workers.map((w) => [w.workerId, w.sequenceHashes.map(String)]));
}

/** worker id → its sorted sequence hashes, from the workers' own DumpKvState. */
export function dumpsByWorker(dumps: readonly DumpKvStateResponse[]): Record<string, string[]> {
  return sortedRecord(
    dumps.map((d) => {
      const hashes = d.events.flatMap((e) => (e.data?.$case === "stored" ? e.data.stored.blocks.map((b) => b.sequenceHash) : []));
      return [d.workerId, [...new Set(hashes)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String)];
    }),
  );
}

/** An object whose keys are in sorted order, so two built differently compare equal as JSON. */
function sortedRecord(entries: [string, string[]][]): Record<string, string[]> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Polls `cond` every 50 ms until true; throws after `timeoutMs` with `what`. */
export async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the router lists exactly `count` routable workers of `model`. */
export function waitForRoutable(client: RouterClient, model: string, count: number): Promise<void> {
  return waitUntil(`${count} routable worker${count === 1 ? "" : "s"}`, async () => (await listWorkers(client, model)).workers.filter((w) => w.routable).length === count);
}
