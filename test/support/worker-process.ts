// Starts a real `kvmesh worker` process for integration tests (compiled CLI, one intra-op
// thread, a 1 s discovery TTL in a temp registry) and collects Generate streams.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import { createClient } from "#common/grpc-client.js";
import type { FinishReason, GenerateRequest, GenerateResponse, TokenLogprob, Usage } from "#contracts/gen/kvmesh/v1/common.js";
import type { WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import type {
  ClearKvCacheRequest, ClearKvCacheResponse, DumpKvStateRequest, DumpKvStateResponse, GetLoadRequest, GetLoadResponse,
  GetModelCardRequest, GetModelCardResponse,
} from "#contracts/gen/kvmesh/v1/worker.js";
import { startProcess } from "./process.js";
import type { TestProcess } from "./process.js";
import { repoRoot } from "./stories-model.js";

/** The compiled CLI. */
export const KVMESH_CLI = join(repoRoot, "dist", "cli", "kvmesh.js");

/** A started worker process (one or, for the mocker, several workers). */
export interface WorkerProcess {
  readonly proc: TestProcess;
  /** `127.0.0.1:port` of each hosted worker, in start order. */
  readonly addresses: string[];
  readonly workerIds: string[];
  readonly metricsPort: number | undefined;
  readonly registryDir: string;
  client(i?: number): WorkerClient;
}

/** Starts `kvmesh worker <flags>` and waits for every hosted worker's "listening" line. */
export async function startWorkerProcess(flags: string[], options: { registryDir?: string; workers?: number; env?: Record<string, string> } = {}): Promise<WorkerProcess> {
  const registryDir = options.registryDir ?? mkdtempSync(join(tmpdir(), "kvmesh-worker-"));
  const args = [KVMESH_CLI, "worker", "--discovery-dir", registryDir, "--discovery-ttl", "1s", "--intra-op-threads", "1", "--metrics-port", "0", ...flags];
  const proc = startProcess("node", args, { cwd: repoRoot, env: options.env });
  const count = options.workers ?? 1;
  await proc.waitForLine(/"msg":"metrics listening"/, 30_000);
  const listening = proc.lines.map(parseJson).filter((r) => r?.msg === "listening");
  if (listening.length !== count) throw new Error(`expected ${count} listening lines, got ${listening.length}`);
  const metricsPort = proc.lines.map(parseJson).find((r) => r?.msg === "metrics listening")?.metrics_port as number | undefined;
  const addresses = listening.map((r) => `127.0.0.1:${r!.port as number}`);
  const clients = new Map<number, WorkerClient>();
  return {
    proc,
    addresses,
    workerIds: listening.map((r) => r!.worker_id as string),
    metricsPort,
    registryDir,
    client: (i = 0) => {
      if (!clients.has(i)) clients.set(i, createClient(WorkerClient, addresses[i]));
      return clients.get(i)!;
    },
  };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Everything one Generate stream delivered. */
export interface StreamResult {
  tokens: number[];
  /** Each message's starting index. */
  indexes: number[];
  logprobs: TokenLogprob[];
  finishReason: FinishReason | undefined;
  usage: Usage | undefined;
  workerId: string;
  /** cachedTokens of each message that carried it, in order. */
  cachedTokensSeen: number[];
}

/** Reads a Generate stream to its end; rejects with the ServiceError of a failed call. */
export function collectStream(stream: ClientReadableStream<GenerateResponse>): Promise<StreamResult> {
  const result: StreamResult = { tokens: [], indexes: [], logprobs: [], finishReason: undefined, usage: undefined, workerId: "", cachedTokensSeen: [] };
  return new Promise((resolve, reject) => {
    stream.on("data", (m: GenerateResponse) => {
      result.indexes.push(m.index);
      result.tokens.push(...m.tokenIds);
      result.logprobs.push(...m.logprobs);
      result.workerId = m.workerId;
      if (m.finishReason !== undefined) result.finishReason = m.finishReason;
      if (m.usage !== undefined) result.usage = m.usage;
      if (m.cachedTokens !== undefined) result.cachedTokensSeen.push(m.cachedTokens);
    });
    stream.on("error", (err: ServiceError) => reject(err));
    stream.on("end", () => resolve(result));
  });
}

/** Generate through `client` and collect the stream. */
export function generate(client: WorkerClient, request: Partial<GenerateRequest> & { tokenIds: number[] }): Promise<StreamResult> {
  const full: GenerateRequest = { requestId: request.requestId ?? `t-${Math.random().toString(36).slice(2)}`, model: "", ...request };
  return collectStream(client.generate(full));
}

/** A unary call as a promise. */
export function unary<Q, R>(call: (req: Q, cb: (err: ServiceError | null, res: R) => void) => unknown, req: Q): Promise<R> {
  return new Promise((resolve, reject) => call(req, (err, res) => (err ? reject(err) : resolve(res))));
}

/** Sum of a Prometheus series (all label sets) in a scrape. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** GET /metrics of a worker process. */
export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

/** Worker.GetLoad's load. */
export async function getLoad(client: WorkerClient): Promise<WorkerLoad> {
  const res = await unary<GetLoadRequest, GetLoadResponse>(client.getLoad.bind(client), {});
  return res.load!;
}

/** Worker.GetModelCard. */
export function getModelCard(client: WorkerClient): Promise<GetModelCardResponse> {
  return unary<GetModelCardRequest, GetModelCardResponse>(client.getModelCard.bind(client), {});
}

/** Worker.DumpKvState. */
export function dumpKvState(client: WorkerClient): Promise<DumpKvStateResponse> {
  return unary<DumpKvStateRequest, DumpKvStateResponse>(client.dumpKvState.bind(client), {});
}

/** Worker.ClearKvCache. */
export function clearKvCache(client: WorkerClient): Promise<ClearKvCacheResponse> {
  return unary<ClearKvCacheRequest, ClearKvCacheResponse>(client.clearKvCache.bind(client), {});
}
