// The Route decision over gRPC for bench/router-bench.ts: the real Router service adapter and
// Decider over the benchmark's index, served by an in-process grpc-js server on 127.0.0.1 and
// called through a real client (HTTP/2 over loopback, protobuf both ways, 64 worker rows back).
// Client and server share one event loop and CPU, so this is an upper bound of the wire cost.
import type { ServiceError } from "@grpc/grpc-js";
import { createClient } from "#common/grpc-client.js";
import { startGrpcServer } from "#common/grpc-server.js";
import { createLogger } from "#common/logger.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import type { RouteResponse } from "#contracts/gen/kvmesh/v1/router.js";
import type { Decider } from "../services/router/src/decider.js";
import { Forwarder } from "../services/router/src/forwarder.js";
import { createRouterService } from "../services/router/src/service.js";
import { BENCH_MODEL } from "./router-bench-decider.js";

/** Route latency over gRPC, in ms, one call at a time. */
export interface GrpcRouteResult {
  readonly latenciesMs: number[];
}

/** `calls` Router.Route calls (after `warmup` more) for `prompts`, in turn, served by `decider`. */
export async function measureGrpcRoute(decider: Decider, workerCount: number, prompts: readonly number[][], calls: number, warmup: number): Promise<GrpcRouteResult> {
  const model = BENCH_MODEL;
  // Route never sends; the forwarder is only there because the service serves Generate too.
  const forwarder = new Forwarder({ decider, migrationLimit: 0, open: () => { throw new Error("the benchmark sends nothing"); } });
  const log = createLogger({ service: "router-bench", level: "warn" });
  const service = createRouterService({ decider, forwarder, listWorkers: () => [], dumpIndex: () => [], log });
  const server = await startGrpcServer({ address: "127.0.0.1:0", log, services: [service], reflection: false });
  const client = createClient(RouterClient, `127.0.0.1:${server.port}`);
  const route = (tokenIds: number[]): Promise<RouteResponse> =>
    new Promise((resolve, reject) => client.route({ model, tokenIds }, (err: ServiceError | null, res: RouteResponse) => (err ? reject(err) : resolve(res))));
  const latenciesMs: number[] = [];
  try {
    for (let i = 0; i < calls + warmup; i++) {
      const t0 = process.hrtime.bigint();
      const res = await route(prompts[i % prompts.length]);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.workers.length !== workerCount) throw new Error(`Route answered ${res.workers.length} worker rows, expected ${workerCount}`);
      if (i >= warmup) latenciesMs.push(ms);
    }
  } finally {
    client.close();
    await server.drain(1000);
  }
  return { latenciesMs };
}
