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
import { PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { makeGenericClientConstructor } from "@grpc/grpc-js";
import type { Client, ServiceError } from "@grpc/grpc-js";
import { forEachLine, terminate } from "#common/child-process.js";
import { createClient } from "#common/grpc-client.js";
import { RouteRequest, RouteResponse, RouterService } from "#contracts/gen/kvmesh/v1/router.js";
import { FLOOR_UNARY_ARG, startFloorProcess } from "./mesh/grpc-floor.js";
import { cpuMicros } from "./mesh/proc-cpu.js";
import { startAllocationCount } from "./router-bench-alloc.js";
import type { Allocation } from "./router-bench-alloc.js";
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
  /** This process's (the client's) GC pauses over the measured calls, ms: they delay Route and floor calls alike. */
  readonly clientGcMs: number[];
  /** What the client allocated and promoted per call (Route and floor calls together). */
  readonly clientAllocation: Allocation;
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
  // ROUTER_BENCH_SERVER_NODE_ARGS: node flags for the server only (e.g. "--cpu-prof --cpu-prof-dir DIR" to profile it).
  const nodeArgs = (process.env.ROUTER_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
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

type RouteCall = (request: Buffer) => Promise<RouteResponse>;

/**
 * Router.Route's client with the request already encoded: each prompt's RouteRequest is encoded
 * once, before the calls. Encoding a 4,096-token request per call (ts-proto's writer) cost the
 * client 23.6 KiB of garbage a call; with it the client paused for GC 25 times over the 4,000
 * Route and floor calls, without it 17 (load 4-5), pauses that land on Route's and the floor's
 * calls alike: the caller's cost, not the router's. The answer is still decoded, as a caller does.
 */
const PreEncodedRouteClient = makeGenericClientConstructor({ route: { ...RouterService.route, requestSerialize: (bytes: Buffer): Buffer => bytes } }, "Router");

/** Route through a client of `address` (the one channel factory), as a promise. */
function routeClient(address: string): { close(): void; call: RouteCall } {
  const client = createClient(PreEncodedRouteClient, address) as unknown as Client & { route(b: Buffer, cb: (err: ServiceError | null, res: RouteResponse) => void): void };
  return { close: () => client.close(), call: (request) => new Promise((resolve, reject) => client.route(request, (err, res) => (err ? reject(err) : resolve(res)))) };
}

/** Calls `from`..`to` − 1 of the requests in turn, timed (ms); each answer must list `workerCount` rows. */
async function timedCalls(route: RouteCall, requests: readonly Buffer[], from: number, to: number, workerCount: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = from; i < to; i++) {
    const request = requests[i % requests.length];
    const t0 = process.hrtime.bigint();
    const res = await route(request);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.workers.length !== workerCount) throw new Error(`Route answered ${res.workers.length} worker rows, expected ${workerCount}`);
  }
  return ms;
}

/** `calls` Router.Route calls (after `warmup` more) for `prompts`, in turn, to a server process; as many to the floor. */
export async function measureGrpcRoute(prompts: readonly BenchPrompt[], workerCount: number, calls: number, warmup: number): Promise<GrpcRouteResult> {
  const requests = prompts.map((p) => Buffer.from(RouteRequest.encode({ model: BENCH_MODEL, tokenIds: p.tokenIds, blockHashes: p.blockHashes }).finish()));
  const server = await startRouteServer();
  const routeSide = routeClient(`127.0.0.1:${server.port}`);
  let floor: { child: ChildProcess; client: { close(): void } } | undefined;
  try {
    const route = routeSide.call;
    const reply = RouteResponse.encode(await route(requests[0])).finish();
    const floorProcess = await startFloorProcess([FLOOR_UNARY_ARG, RouterService.route.path, Buffer.from(reply).toString("base64")]);
    const floorSide = routeClient(floorProcess.address);
    floor = { child: floorProcess.child, client: floorSide };
    const floorRoute = floorSide.call;
    await timedCalls(route, requests, 0, warmup, workerCount);
    await timedCalls(floorRoute, requests, 0, warmup, workerCount);
    const tell = (line: string): void => void server.child.stdin!.write(`${line}\n`);
    tell("reset");
    const latenciesMs: number[] = [];
    const floorMs: number[] = [];
    const cpuUs = { server: 0, floor: 0 };
    // A block's calls to one server, timed, with that server's CPU over them.
    const block = async (to: "server" | "floor", pid: number, call: RouteCall, from: number, end: number): Promise<number[]> => {
      const cpu0 = cpuMicros(pid);
      const ms = await timedCalls(call, requests, from, end, workerCount);
      cpuUs[to] += cpuMicros(pid) - cpu0;
      return ms;
    };
    const clientGcMs: number[] = [];
    const gcObserver = new PerformanceObserver((list) => clientGcMs.push(...list.getEntries().map((e) => e.duration)));
    gcObserver.observe({ entryTypes: ["gc"] });
    const clientCount = startAllocationCount();
    for (let start = 0; start < calls; start += BLOCK) {
      const end = Math.min(calls, start + BLOCK);
      tell("serving");
      latenciesMs.push(...(await block("server", server.child.pid!, route, warmup + start, warmup + end)));
      tell("idle");
      floorMs.push(...(await block("floor", floorProcess.child.pid!, floorRoute, warmup + start, warmup + end)));
    }
    // GC entries are delivered asynchronously: the last ones arrive by the server's answer.
    const clientAllocation = clientCount.stop(2 * calls);
    const stats = server.nextLine();
    tell("stats");
    const serverStats = (await stats) as unknown as ServerStats;
    gcObserver.disconnect();
    return { latenciesMs, floorMs, clientGcMs, clientAllocation, server: serverStats, serverCpuUsPerCall: cpuUs.server / calls, floorCpuUsPerCall: cpuUs.floor / calls };
  } finally {
    routeSide.close();
    floor?.client.close();
    floor?.child.kill("SIGKILL");
    // End of stdin: the server drains and exits on its own (writing its --cpu-prof profile, if any).
    server.child.stdin!.end();
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    await terminate(server.child, server.exited, 5000);
  }
}
