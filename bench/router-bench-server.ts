// The Router.Route server of bench:router's gRPC row, in a process of its own (as a router
// runs): the real Router service adapter and a kv-mode Decider over the benchmark's seeded
// index, behind the one server bootstrap. Prints {"msg":"listening","port":N}; on stdin,
// "reset" clears and "stats" prints (one JSON line) what happened inside it since: GC pauses,
// event-loop delay, and the time its Route handler spent deciding — so the client's tail can be
// split into the wire's, the server's work's and the server's stalls.
import { createInterface } from "node:readline";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { startGrpcServer } from "#common/grpc-server.js";
import { createLogger } from "#common/logger.js";
import type { Decider } from "../services/router/src/decider.js";
import { Forwarder } from "../services/router/src/forwarder.js";
import { createRouterService } from "../services/router/src/service.js";
import { startAllocationCount } from "./router-bench-alloc.js";
import { benchDecider } from "./router-bench-decider.js";
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
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
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
  const service = createRouterService({ decider, forwarder, listWorkers: () => [], dumpIndex: () => [], log });
  const server = await startGrpcServer({ address: "127.0.0.1:0", log, services: [service], reflection: false });
  const gc: number[] = [];
  new PerformanceObserver((list) => gc.push(...list.getEntries().map((e) => e.duration))).observe({ entryTypes: ["gc"] });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const lines = createInterface({ input: process.stdin });
  let allocation = startAllocationCount();
  lines.on("line", (line) => {
    if (line === "reset") {
      allocation.stop(1);
      allocation = startAllocationCount();
      planMs.length = 0;
      gc.length = 0;
      loop.reset();
    } else if (line === "stats") {
      const { bytesPerCall, promotedBytesPerCall, scavenges, markCompacts } = allocation.stop(planMs.length);
      const sorted = [...planMs].sort((a, b) => a - b);
      const stats: ServerStats = {
        msg: "stats", calls: planMs.length, planP50Ms: percentile(sorted, 0.5), planP99Ms: percentile(sorted, 0.99),
        gcPauses: gc.length, gcMaxMs: Math.max(0, ...gc), gcTotalMs: gc.reduce((a, b) => a + b, 0),
        loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6, allocatedBytesPerCall: bytesPerCall, promotedBytesPerCall, scavenges, markCompacts,
      };
      process.stdout.write(`${JSON.stringify(stats)}\n`);
    }
  });
  lines.once("close", () => void server.drain(0).then(() => process.exit(0)));
  // The workload's event batches are garbage now: collect them before serving (--expose-gc),
  // or a major GC does it inside the measured calls.
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`${JSON.stringify({ msg: "listening", port: server.port })}\n`);
}

void main();
