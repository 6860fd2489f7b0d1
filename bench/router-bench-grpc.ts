// Router.Route over gRPC between two processes for bench/router-bench.ts: this process is the
// client (the one channel factory, loopback HTTP/2, protobuf both ways, the prompt's block
// hashes supplied); bench/router-bench-server.ts serves the real Router service under node's
// default V8 flags, as the router runs, and reports its own GC pauses, heap allocated per call,
// event-loop delay and decision time for the same calls. Beside it, the floor: a do-nothing
// grpc-js server in a process of its own (bench/mesh/floor-hop.ts) answering Route's path with
// the bytes of a real Route reply, called by the same client code, channel options and request
// bytes, in alternating blocks with the Route calls so that both see the same machine load.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ServiceError } from "@grpc/grpc-js";
import { forEachLine, terminate } from "#common/child-process.js";
import { createClient } from "#common/grpc-client.js";
import { RouteResponse, RouterClient, RouterService } from "#contracts/gen/kvmesh/v1/router.js";
import type { RouteRequest } from "#contracts/gen/kvmesh/v1/router.js";
import { FLOOR_UNARY_ARG, startFloorProcess } from "./mesh/grpc-floor.js";
import { cpuMicros } from "./mesh/proc-cpu.js";
import { BENCH_MODEL } from "./router-bench-decider.js";
import type { ServerStats } from "./router-bench-server.js";
import type { BenchPrompt } from "./router-bench-workload.js";

const SERVER_JS = fileURLToPath(new URL("./router-bench-server.js", import.meta.url));
/** Calls per block; the Route server's and the floor's blocks alternate. */
const BLOCK = 100;

/** Route latency over gRPC (ms, one call at a time), the floor's, and the server's view of the Route calls. */
export interface GrpcRouteResult {
  readonly latenciesMs: number[];
  /** The same calls to the do-nothing floor server. */
  readonly floorMs: number[];
  /** CPU (utime + stime, /proc) of the Route server and of the floor server per call, µs, over their blocks. */
  readonly serverCpuUsPerCall: number;
  readonly floorCpuUsPerCall: number;
  readonly server: ServerStats;
}

/** The Route server process: its port, its JSON lines on stdout, and its exit. */
interface ServerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
  readonly port: number;
  nextLine(): Promise<Record<string, unknown>>;
}

async function startRouteServer(): Promise<ServerProcess> {
  // RB_SERVER_NODE_ARGS: node flags for the server only (e.g. "--cpu-prof --cpu-prof-dir DIR" to profile it).
  const nodeArgs = (process.env.RB_SERVER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const child = spawn(process.execPath, [...nodeArgs, "--expose-gc", SERVER_JS], { stdio: ["pipe", "pipe", "inherit"] });
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
  return { child, exited, port, nextLine };
}

type RouteCall = (request: RouteRequest) => Promise<RouteResponse>;

/** Route through `client`, as a promise. */
function caller(client: RouterClient): RouteCall {
  return (request) => new Promise((resolve, reject) => client.route(request, (err: ServiceError | null, res: RouteResponse) => (err ? reject(err) : resolve(res))));
}

/** Calls `from`..`to` − 1 of the prompts in turn, timed (ms); each answer must list `workerCount` rows. */
async function timedCalls(route: RouteCall, prompts: readonly BenchPrompt[], from: number, to: number, workerCount: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = from; i < to; i++) {
    const p = prompts[i % prompts.length];
    const t0 = process.hrtime.bigint();
    const res = await route({ model: BENCH_MODEL, tokenIds: p.tokenIds, blockHashes: p.blockHashes });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.workers.length !== workerCount) throw new Error(`Route answered ${res.workers.length} worker rows, expected ${workerCount}`);
  }
  return ms;
}

/** `calls` Router.Route calls (after `warmup` more) for `prompts`, in turn, to a server process; as many to the floor. */
export async function measureGrpcRoute(prompts: readonly BenchPrompt[], workerCount: number, calls: number, warmup: number): Promise<GrpcRouteResult> {
  const server = await startRouteServer();
  const routeClient = createClient(RouterClient, `127.0.0.1:${server.port}`);
  let floor: { child: ChildProcess; client: RouterClient } | undefined;
  try {
    const route = caller(routeClient);
    const reply = RouteResponse.encode(await route({ model: BENCH_MODEL, tokenIds: prompts[0].tokenIds, blockHashes: prompts[0].blockHashes })).finish();
    const floorProcess = await startFloorProcess([FLOOR_UNARY_ARG, RouterService.route.path, Buffer.from(reply).toString("base64")]);
    floor = { child: floorProcess.child, client: createClient(RouterClient, floorProcess.address) };
    const floorRoute = caller(floor.client);
    await timedCalls(route, prompts, 0, warmup, workerCount);
    await timedCalls(floorRoute, prompts, 0, warmup, workerCount);
    const tell = (line: string): void => void server.child.stdin!.write(`${line}\n`);
    tell("reset");
    const latenciesMs: number[] = [];
    const floorMs: number[] = [];
    const cpuUs = { server: 0, floor: 0 };
    // A block's calls to one server, timed, with that server's CPU over them.
    const block = async (to: "server" | "floor", pid: number, call: RouteCall, from: number, end: number): Promise<number[]> => {
      const cpu0 = cpuMicros(pid);
      const ms = await timedCalls(call, prompts, from, end, workerCount);
      cpuUs[to] += cpuMicros(pid) - cpu0;
      return ms;
    };
    for (let start = 0; start < calls; start += BLOCK) {
      const end = Math.min(calls, start + BLOCK);
      tell("serving");
      latenciesMs.push(...(await block("server", server.child.pid!, route, warmup + start, warmup + end)));
      tell("idle");
      floorMs.push(...(await block("floor", floorProcess.child.pid!, floorRoute, warmup + start, warmup + end)));
    }
    const stats = server.nextLine();
    tell("stats");
    return { latenciesMs, floorMs, serverCpuUsPerCall: cpuUs.server / calls, floorCpuUsPerCall: cpuUs.floor / calls, server: (await stats) as unknown as ServerStats };
  } finally {
    routeClient.close();
    floor?.client.close();
    floor?.child.kill("SIGKILL");
    // End of stdin: the server drains and exits on its own (writing its --cpu-prof profile, if any).
    server.child.stdin!.end();
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    await terminate(server.child, server.exited, 5000);
  }
}
