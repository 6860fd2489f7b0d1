// bench:mesh's floor: what three hops cost when they do nothing. The same sequential 1-message
// call is sent to a do-nothing grpc-js server and through three do-nothing grpc-js relays in
// processes of their own in front of it (floor-hop.ts), interleaved in blocks as the mesh's
// latency row is. Their difference is the part of the mesh's added latency that comes with
// three grpc-js processes on this machine, whatever the services do.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { credentials, makeGenericClientConstructor } from "@grpc/grpc-js";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { forEachLine } from "#common/child-process.js";
import { summarize } from "../stats/percentiles.js";
import type { Summary } from "../stats/percentiles.js";
const same = (b: Buffer): Buffer => b;

/** A floor method at `path`: bytes in, bytes out (no protobuf: its cost is the mesh's, not the floor's). */
function bytesMethod(path: string, responseStream: boolean): ServiceDefinition[string] {
  return { path, requestStream: false, responseStream, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same };
}

/** The floor's one streaming method. */
export const FLOOR_SERVICE: ServiceDefinition = { Generate: bytesMethod("/kvmesh.bench.Floor/Generate", true) };

/** A client of the floor's streaming method, as the bench and every relay hop call it. */
export interface FloorClient {
  Generate(request: Buffer): NodeJS.ReadableStream;
  close(): void;
}

const FloorClientClass = makeGenericClientConstructor(FLOOR_SERVICE, "Floor");

/** A client of the floor process at `address`. */
export function floorClient(address: string): FloorClient {
  return new FloorClientClass(address, credentials.createInsecure()) as unknown as FloorClient;
}

/**
 * floor-hop.ts's argument for a unary floor: `--unary PATH REPLY_BASE64` serves one unary method
 * at PATH that answers every call with the same bytes (bench:router's floor beside Route).
 */
export const FLOOR_UNARY_ARG = "--unary";

/** A do-nothing unary method at `path` (bytes in, bytes out). */
export function floorUnaryService(path: string): ServiceDefinition {
  return { Call: bytesMethod(path, false) };
}

const HOP_JS = fileURLToPath(new URL("./floor-hop.js", import.meta.url));

/** What the floor measured (ms). */
export interface FloorRow {
  readonly hops: number;
  readonly direct: Summary;
  readonly relayed: Summary;
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
}

/** A floor process (floor-hop.ts with `args`), once it listens: the caller kills it. */
export function startFloorProcess(args: readonly string[]): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [HOP_JS, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`floor hop exited (${code})`)));
    forEachLine(child.stdout!, (line) => resolve({ child, address: `127.0.0.1:${(JSON.parse(line) as { port: number }).port}` }));
  });
}

/** `requests` sequential calls per path, straight and through `hops` relays. */
export async function measureGrpcFloor(requests: number, hops = 3, block = 50): Promise<FloorRow> {
  const children: ChildProcess[] = [];
  try {
    const terminal = await startFloorProcess([]);
    children.push(terminal.child);
    let front = terminal.address;
    for (let i = 0; i < hops; i++) {
      const hop = await startFloorProcess([front]);
      children.push(hop.child);
      front = hop.address;
    }
    const paths = { direct: floorClient(terminal.address), relayed: floorClient(front) };
    const call = (client: FloorClient): Promise<number> => new Promise((resolve, reject) => {
      const t0 = performance.now();
      const stream = client.Generate(Buffer.alloc(32, 2));
      stream.on("data", () => undefined);
      stream.on("end", () => resolve(performance.now() - t0));
      stream.on("error", reject);
    });
    const samples = { direct: [] as number[], relayed: [] as number[] };
    for (const path of ["direct", "relayed"] as const) for (let i = 0; i < block; i++) await call(paths[path]); // warm-up
    for (let start = 0; start < requests; start += block) {
      for (const path of ["direct", "relayed"] as const) {
        for (let i = start; i < Math.min(start + block, requests); i++) samples[path].push(await call(paths[path]));
      }
    }
    paths.direct.close();
    paths.relayed.close();
    const direct = summarize(samples.direct);
    const relayed = summarize(samples.relayed);
    return { hops, direct, relayed, addedP50Ms: relayed.p50 - direct.p50, addedP99Ms: relayed.p99 - direct.p99 };
  } finally {
    for (const child of children) child.kill("SIGKILL");
  }
}
