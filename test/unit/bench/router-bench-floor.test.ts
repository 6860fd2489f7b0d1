// bench:router's floor (a do-nothing unary grpc-js server in its own process) and its server's
// event-loop delay split into serving and idle windows.
import { expect } from "chai";
import { credentials, makeGenericClientConstructor } from "@grpc/grpc-js";
import type { Client, ServiceError } from "@grpc/grpc-js";
import { FLOOR_UNARY_ARG, floorUnaryService, startFloorProcess } from "../../../bench/mesh/grpc-floor.js";
import { PhasedLoopDelay } from "../../../bench/router-bench-loop.js";

/** Blocks the event loop for `ms`. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type FloorClient = Client & { Call(request: Buffer, callback: (err: ServiceError | null, reply: Buffer) => void): void };

/** A generic client of the unary floor at `path`, and one call as a promise. */
function floorClient(address: string, path: string): { client: FloorClient; call(request: Buffer): Promise<Buffer> } {
  const Floor = makeGenericClientConstructor(floorUnaryService(path), "Floor");
  const client = new Floor(address, credentials.createInsecure()) as unknown as FloorClient;
  return { client, call: (request) => new Promise((resolve, reject) => client.Call(request, (err, res) => (err ? reject(err) : resolve(res)))) };
}

describe("bench:router floor", function () {
  this.timeout(20_000);

  it("answers every call at the given path with the given bytes, whatever the request", async () => {
    const path = "/kvmesh.v1.Router/Route";
    const reply = Buffer.from([0x0a, 0x03, 0x77, 0x2d, 0x31, 0x18, 0x07]);
    const floor = await startFloorProcess([FLOOR_UNARY_ARG, path, reply.toString("base64")]);
    const { client, call } = floorClient(floor.address, path);
    try {
      expect(floor.address).to.match(/^127\.0\.0\.1:\d+$/);
      expect(await call(Buffer.alloc(16_000, 7))).to.deep.equal(reply);
      expect(await call(Buffer.alloc(0))).to.deep.equal(reply);
    } finally {
      client.close();
      floor.child.kill("SIGKILL");
    }
  });

  it("a unary floor with no reply bytes answers an empty message", async () => {
    const path = "/kvmesh.bench.Floor/Empty";
    const floor = await startFloorProcess([FLOOR_UNARY_ARG, path]);
    const { client, call } = floorClient(floor.address, path);
    try {
      expect((await call(Buffer.from([1]))).length).to.equal(0);
    } finally {
      client.close();
      floor.child.kill("SIGKILL");
    }
  });
});

describe("bench:router event-loop delay phases", function () {
  this.timeout(10_000);

  it("a stall lands in the phase being recorded, not in the other", async () => {
    const loop = new PhasedLoopDelay();
    try {
      loop.phase("idle");
      await sleep(30);
      loop.phase("serving");
      await sleep(5);
      block(120);
      await sleep(5);
      loop.phase("idle");
      await sleep(30);
      const { serving, idle } = loop.summary();
      expect(serving.samples).to.be.above(0);
      expect(idle.samples).to.be.above(0);
      // The 120 ms block is one late timer run, less the timer's 1 ms interval.
      expect(serving.maxMs).to.be.within(115, 1000);
      expect(idle.maxMs, "the idle windows saw no stall of that size").to.be.below(100);
      expect(serving.p50Ms).to.be.at.least(0);
    } finally {
      loop.stop();
    }
  });

  it("reset forgets both phases, and an empty phase reads as zeros", async () => {
    const loop = new PhasedLoopDelay();
    try {
      await sleep(10);
      expect(loop.summary().serving.samples).to.be.above(0);
      loop.reset();
      const { serving, idle } = loop.summary();
      expect(serving).to.deep.equal({ p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 });
      expect(idle).to.deep.equal({ p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 });
    } finally {
      loop.stop();
    }
  });
});
