// The Router.Route server of bench:router's gRPC row, in a process of its own (as a router
// runs): the real Router service adapter and a kv-mode Decider over the benchmark's seeded
// index, behind the one server bootstrap. Prints {"msg":"listening","port":N}; on stdin,
// "reset" clears, "serving" / "idle" say whether the client is calling it or the floor now
// (router-bench-loop.ts), and "stats" prints (one JSON line) what happened inside it since: GC
// pauses, event-loop delay, the time its Route handler spent deciding and the time from
// decoding a request to encoding its answer — so the client's tail can be split into the
// wire's, the server's work's and the server's stalls.
import { createInterface } from "node:readline";
import { PerformanceObserver } from "node:perf_hooks";
import type { GrpcServiceBinding } from "#common/grpc-server.js";
import { startGrpcServer } from "#common/grpc-server.js";
import { createLogger } from "#common/logger.js";
import type { Decider } from "../services/router/src/decider.js";
import { Forwarder } from "../services/router/src/forwarder.js";
import { createRouterService } from "../services/router/src/service.js";
import { startAllocationCount } from "./router-bench-alloc.js";
import { benchDecider } from "./router-bench-decider.js";
import { PhasedLoopDelay } from "./router-bench-loop.js";
import type { LoopDelay } from "./router-bench-loop.js";
import { BS, buildRouterWorkload, indexOf } from "./router-bench-workload.js";
import { percentile } from "./router-bench-stats.js";

/** What the server reports on "stats". */
export interface ServerStats {
  readonly msg: "stats";
  readonly calls: number;
  readonly planP50Ms: number;
  readonly planP99Ms: number;
  readonly gcPauses: number;
  readonly gcMaxMs: number;
  readonly gcTotalMs: number;
  /** Decoding a request to encoding its answer (grpc-js's deserialize → serialize), p50 / p99. */
  readonly workP50Ms: number;
  readonly workP99Ms: number;
  /** Event-loop delay while the client called this server, and while it called the floor. */
  readonly loopServing: LoopDelay;
  readonly loopIdle: LoopDelay;
  /** Heap allocated per call (every call's work: gRPC, decode, decide, encode), bytes. */
  readonly allocatedBytesPerCall: number;
  /** Bytes scavenges promoted to the old generation per call (router-bench-alloc.ts). */
  readonly promotedBytesPerCall: number;
  /** Collections while measured: scavenges (minor), mark-compacts (major). */
  readonly scavenges: number;
  readonly markCompacts: number;
}

/** Times every plan() of `decider` into `out` (ms). */
function timedDecider(decider: Decider, out: number[]): Decider {
  const plan = decider.plan.bind(decider);
  decider.plan = (question) => {
    const t0 = process.hrtime.bigint();
    try {
      return plan(question);
    } finally {
      out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  return decider;
}

/** Times each Route call from its request's decoding to its answer's encoding into `out` (ms; the benchmark sends one call at a time). */
function timedRoute(binding: GrpcServiceBinding, out: number[]): GrpcServiceBinding {
  const route = binding.definition.route;
  let t0 = 0n;
  const requestDeserialize = (bytes: Buffer): unknown => {
    t0 = process.hrtime.bigint();
    return route.requestDeserialize(bytes);
  };
  const responseSerialize = (answer: unknown): Buffer => {
    const bytes = route.responseSerialize(answer);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    return bytes;
  };
  return { ...binding, definition: { ...binding.definition, route: { ...route, requestDeserialize, responseSerialize } } };
}

/** The kv decider over the seeded index; the workload's events are garbage once it returns. */
function seededDecider(): Decider {
  const workload = buildRouterWorkload();
  return benchDecider(indexOf(workload), workload.workerIds, BS);
}

async function main(): Promise<void> {
  const planMs: number[] = [];
  const decider = timedDecider(seededDecider(), planMs);
  const log = createLogger({ service: "router-bench-server", level: "warn" });
  const forwarder = new Forwarder({ decider, migrationLimit: 0, open: () => { throw new Error("the benchmark sends nothing"); } });
  const workMs: number[] = [];
  const service = timedRoute(createRouterService({ decider, forwarder, listWorkers: () => [], dumpIndex: () => [], log }), workMs);
  const server = await startGrpcServer({ address: "127.0.0.1:0", log, services: [service], reflection: false });
  const gc: number[] = [];
  new PerformanceObserver((list) => gc.push(...list.getEntries().map((e) => e.duration))).observe({ entryTypes: ["gc"] });
  const loop = new PhasedLoopDelay();
  const lines = createInterface({ input: process.stdin });
  let allocation = startAllocationCount();
  lines.on("line", (line) => {
    if (line === "reset") {
      allocation.stop(1);
      allocation = startAllocationCount();
      planMs.length = 0;
      workMs.length = 0;
      gc.length = 0;
      loop.reset();
    } else if (line === "serving" || line === "idle") {
      loop.phase(line);
    } else if (line === "stats") {
      const { bytesPerCall, promotedBytesPerCall, scavenges, markCompacts } = allocation.stop(planMs.length);
      const sorted = [...planMs].sort((a, b) => a - b);
      const work = [...workMs].sort((a, b) => a - b);
      const delay = loop.summary();
      const stats: ServerStats = {
        msg: "stats", calls: planMs.length, planP50Ms: percentile(sorted, 0.5), planP99Ms: percentile(sorted, 0.99),
        gcPauses: gc.length, gcMaxMs: Math.max(0, ...gc), gcTotalMs: gc.reduce((a, b) => a + b, 0),
        workP50Ms: percentile(work, 0.5), workP99Ms: percentile(work, 0.99), loopServing: delay.serving, loopIdle: delay.idle, allocatedBytesPerCall: bytesPerCall, promotedBytesPerCall, scavenges, markCompacts,
      };
      process.stdout.write(`${JSON.stringify(stats)}\n`);
    }
  });
  lines.once("close", () => void server.drain(0).then(() => loop.stop()).then(() => process.exit(0)));
  // The workload's event batches are garbage now: collect them before serving (--expose-gc),
  // or a major GC does it inside the measured calls.
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`${JSON.stringify({ msg: "listening", port: server.port })}\n`);
}

void main();
