// Router.Route over gRPC between two processes for bench/router-bench.ts: this process is the
// client (the one channel factory, loopback HTTP/2, protobuf both ways, the prompt's block
// hashes supplied); bench/router-bench-server.ts serves the real Router service under node's
// default V8 flags, as the router runs, and reports its own GC pauses, heap allocated per call,
// event-loop delay and decision time for the same calls.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ServiceError } from "@grpc/grpc-js";
import { forEachLine, terminate } from "#common/child-process.js";
import { createClient } from "#common/grpc-client.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import type { RouteRequest, RouteResponse } from "#contracts/gen/kvmesh/v1/router.js";
import { BENCH_MODEL } from "./router-bench-decider.js";
import type { ServerStats } from "./router-bench-server.js";
import type { BenchPrompt } from "./router-bench-workload.js";

const SERVER_JS = fileURLToPath(new URL("./router-bench-server.js", import.meta.url));

/** Route latency over gRPC (ms, one call at a time) and the server's view of the same calls. */
export interface GrpcRouteResult {
  readonly latenciesMs: number[];
  readonly server: ServerStats;
}

/** `calls` Router.Route calls (after `warmup` more) for `prompts`, in turn, to a server process. */
export async function measureGrpcRoute(prompts: readonly BenchPrompt[], workerCount: number, calls: number, warmup: number): Promise<GrpcRouteResult> {
  const child = spawn(process.execPath, ["--expose-gc", SERVER_JS], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<unknown>((resolve) => child.once("exit", resolve));
  const waiters: ((line: Record<string, unknown>) => void)[] = [];
  forEachLine(child.stdout, (line) => {
    if (line.startsWith("{")) waiters.shift()?.(JSON.parse(line) as Record<string, unknown>);
    else process.stderr.write(`[router-bench-server] ${line}\n`);
  });
  const nextLine = (): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    waiters.push(resolve);
    void exited.then(() => reject(new Error("the router bench server exited")));
  });
  const { port } = (await nextLine()) as { port: number };
  const client = createClient(RouterClient, `127.0.0.1:${port}`);
  const route = (request: RouteRequest): Promise<RouteResponse> =>
    new Promise((resolve, reject) => client.route(request, (err: ServiceError | null, res: RouteResponse) => (err ? reject(err) : resolve(res))));
  const latenciesMs: number[] = [];
  try {
    for (let i = 0; i < calls + warmup; i++) {
      if (i === warmup) child.stdin.write("reset\n");
      const p = prompts[i % prompts.length];
      const t0 = process.hrtime.bigint();
      const res = await route({ model: BENCH_MODEL, tokenIds: p.tokenIds, blockHashes: p.blockHashes });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.workers.length !== workerCount) throw new Error(`Route answered ${res.workers.length} worker rows, expected ${workerCount}`);
      if (i >= warmup) latenciesMs.push(ms);
    }
    const stats = nextLine();
    child.stdin.write("stats\n");
    return { latenciesMs, server: (await stats) as unknown as ServerStats };
  } finally {
    client.close();
    child.stdin.end();
    await terminate(child, exited, 5000);
  }
}
