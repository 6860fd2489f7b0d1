// Issue 13 item 1: client aborts must not kill other streams. A real grpc-js server on
// 127.0.0.1 (behind a connection-counting TCP proxy), clients from the real ClientCache: while
// one long stream runs on instance X, thousands of calls on X are started and cancelled
// mid-stream (as when HTTP clients go away). Each cancel sends RST_STREAM; past nghttp2's
// rapid-reset allowance (1000, then ~33/s) the server closes the connection with GOAWAY and
// every call on it fails. The reset budget moves new calls to a fresh connection in time.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { ClientCache } from "#common/client-cache.js";
import { RESET_BUDGET } from "#common/reset-budget.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import { startResetServer } from "../../support/reset-server.js";
import type { ResetServer } from "../../support/reset-server.js";

const CANCELLED_CALLS = 3000;
/** Calls open at once: as fast as the loop can go, and each is cancelled mid-stream. */
const CONCURRENCY = 100;

const request = (requestId: string): GenerateRequest => ({ requestId, model: "m", tokenIds: [1] });

/** The call's status, after cancelling it on its first message (or its status, if that comes first). */
function startAndCancel(client: RouterClient): Promise<grpc.StatusObject> {
  const call = client.generate(request("hold"));
  call.on("error", () => undefined);
  call.once("data", () => call.cancel());
  return new Promise((resolve) => call.once("status", resolve));
}

interface Outcome {
  long: { indices: number[]; status: grpc.StatusObject };
  /** Statuses of the cancelled calls other than CANCELLED. */
  unexpected: string[];
}

/** Runs the long stream and the burst of cancelled calls through one cache. */
async function burst(server: ResetServer, cache: ClientCache<RouterClient>): Promise<Outcome> {
  const indices: number[] = [];
  const long = cache.get("x", server.address).generate(request("long"));
  long.on("error", () => undefined);
  long.on("data", (m: GenerateResponse) => indices.push(m.index));
  const longStatus = new Promise<grpc.StatusObject>((resolve) => long.once("status", resolve));
  await new Promise((resolve) => long.once("data", resolve));
  const unexpected: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < CANCELLED_CALLS) {
      next++;
      const status = await startAndCancel(cache.get("x", server.address));
      if (status.code !== grpc.status.CANCELLED) unexpected.push(`${grpc.status[status.code]}: ${status.details}`);
    }
  }));
  server.finishLong();
  return { long: { indices, status: await longStatus }, unexpected };
}

describe("client aborts do not kill other streams (reset budget per connection)", function () {
  this.timeout(120_000);
  let server: ResetServer;
  let cache: ClientCache<RouterClient>;

  beforeEach(async () => {
    server = await startResetServer();
  });
  afterEach(async () => {
    cache.closeAll();
    await server.close();
  });

  it(`${CANCELLED_CALLS} calls cancelled mid-stream: the long stream gets every message, nothing fails, few connections`, async () => {
    cache = new ClientCache(RouterClient);
    const { long, unexpected } = await burst(server, cache);
    expect(long.status.code, long.status.details).to.equal(grpc.status.OK);
    expect(long.indices).to.deep.equal(Array.from({ length: server.longWritten() }, (_, i) => i));
    expect(unexpected.slice(0, 3), `${unexpected.length} calls failed otherwise`).to.deep.equal([]);
    expect(server.connections()).to.be.greaterThan(1, "the cache rotated");
    expect(server.connections()).to.be.at.most(CANCELLED_CALLS / RESET_BUDGET + 2);
  });

  it("without the budget (Infinity) the same burst closes the connection and the long stream fails", async () => {
    cache = new ClientCache(RouterClient, Infinity);
    const { long, unexpected } = await burst(server, cache);
    expect(long.status.code, "the long stream").to.be.oneOf([grpc.status.INTERNAL, grpc.status.UNAVAILABLE]);
    expect(unexpected.length, "cancelled calls failed with the connection").to.be.greaterThan(0);
  });
});
