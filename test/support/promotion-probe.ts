// Run as a process of its own by in-flight-calls.test.ts: how many bytes young collections
// promote to the old generation while 3,000 calls, one at a time, each with a 4,096-element
// request, go through InFlightCalls' wrapper. A process of its own, because the count covers
// everything the process does meanwhile: inside the full test run other tests' leftovers
// (streams, timers, child-process output) were promoted in the same window and the count said
// nothing about the wrapper. Prints {"bytesPerCall":N,"scavenges":N}.
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { GCProfiler } from "node:v8";
import { InFlightCalls } from "#common/in-flight-calls.js";
import { createLogger } from "#common/logger.js";
import { wrapped } from "./in-flight-wrap.js";

const oldBytes = (spaces: { spaceName: string; spaceUsedSize: number }[]): number =>
  spaces.filter((s) => s.spaceName === "old_space" || s.spaceName === "large_object_space").reduce((n, s) => n + s.spaceUsedSize, 0);

async function main(): Promise<void> {
  const log = createLogger({ service: "probe", level: "silent", destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const calls = new InFlightCalls(log);
  const call = wrapped<EventEmitter & { request: number[] }>(calls, (c, callback) => void setImmediate(() => callback!(null, { n: c.request.length })));
  const count = 3000;
  const profiler = new GCProfiler();
  profiler.start();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => call(Object.assign(new EventEmitter(), { request: new Array<number>(4096).fill(i) }), () => resolve()));
  }
  let bytes = 0;
  let scavenges = 0;
  for (const gc of profiler.stop().statistics) {
    if (gc.gcType !== "Scavenge" && gc.gcType !== "MinorMarkCompact") continue;
    scavenges++;
    bytes += oldBytes(gc.afterGC.heapSpaceStatistics) - oldBytes(gc.beforeGC.heapSpaceStatistics);
  }
  process.stdout.write(`${JSON.stringify({ bytesPerCall: bytes / count, scavenges })}\n`);
}

await main();
