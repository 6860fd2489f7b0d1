// The reset budget's rules against a real grpc-js server on 127.0.0.1 (reset-server.ts): which
// cancels count, when the ClientCache rotates, and when the old client is closed.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { ClientCache } from "#common/client-cache.js";
import { createClient, deadlineIn } from "#common/grpc-client.js";
import { CallTracker } from "#common/reset-budget.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import { startResetServer } from "../../support/reset-server.js";
import type { ResetServer } from "../../support/reset-server.js";

const request = (requestId: string) => ({ requestId, model: "m", tokenIds: [1] });

/** A call of `requestId` and promises of its first message and its status. */
function open(client: RouterClient, requestId: string, options: grpc.CallOptions = {}) {
  const call = client.generate(request(requestId), options);
  call.on("error", () => undefined);
  const status = new Promise<grpc.StatusObject>((resolve) => call.once("status", resolve));
  const first = new Promise((resolve) => call.once("data", resolve));
  return { call, first, status };
}

/** Starts a held call, cancels it mid-stream and waits for its status. */
async function cancelOne(client: RouterClient): Promise<void> {
  const c = open(client, "hold");
  await c.first;
  c.call.cancel();
  expect((await c.status).code).to.equal(grpc.status.CANCELLED);
}

const shutDown = (client: RouterClient) => client.getChannel().getConnectivityState(false) === grpc.connectivityState.SHUTDOWN;

describe("reset budget", () => {
  let server: ResetServer;
  let cache: ClientCache<RouterClient> | undefined;
  beforeEach(async () => {
    server = await startResetServer();
  });
  afterEach(async () => {
    cache?.closeAll();
    cache = undefined;
    await server.close();
  });

  describe("CallTracker", () => {
    let client: RouterClient;
    let tracker: CallTracker;
    beforeEach(() => {
      tracker = new CallTracker();
      client = createClient(RouterClient, server.address, {}, tracker);
    });
    afterEach(() => client.close());

    it("counts a call in flight until its status, and a cancel of an open call as one reset", async () => {
      const c = open(client, "hold");
      await c.first;
      expect([tracker.inFlight, tracker.resets]).to.deep.equal([1, 0]);
      c.call.cancel();
      c.call.cancel();
      await c.status;
      expect([tracker.inFlight, tracker.resets, tracker.exposure]).to.deep.equal([0, 1, 1]);
    });

    it("does not count the cancel of a call that has ended", async () => {
      const c = open(client, "end");
      expect((await c.status).code).to.equal(grpc.status.OK);
      c.call.cancel();
      expect([tracker.inFlight, tracker.resets]).to.deep.equal([0, 0]);
    });

    it("counts a call reset by its deadline", async () => {
      const c = open(client, "hold", { deadline: deadlineIn(100) });
      expect((await c.status).code).to.equal(grpc.status.DEADLINE_EXCEEDED);
      expect([tracker.inFlight, tracker.resets]).to.deep.equal([0, 1]);
    });

    it("calls whenIdle once the last call ends, and at once when none is in flight", async () => {
      let idle = 0;
      tracker.whenIdle(() => idle++);
      expect(idle).to.equal(1);
      const a = open(client, "hold");
      const b = open(client, "hold");
      await Promise.all([a.first, b.first]);
      tracker.whenIdle(() => idle++);
      a.call.cancel();
      await a.status;
      expect(idle, "one call still in flight").to.equal(1);
      server.release();
      await b.status;
      expect(idle).to.equal(2);
    });
  });

  describe("ClientCache rotation", () => {
    it("rotates after exactly `budget` resets, not at budget - 1, onto a new connection", async () => {
      cache = new ClientCache(RouterClient, 5);
      const first = cache.get("x", server.address);
      for (let i = 0; i < 4; i++) await cancelOne(cache.get("x", server.address));
      expect(cache.get("x", server.address), "after budget - 1 resets").to.equal(first);
      await cancelOne(cache.get("x", server.address));
      const second = cache.get("x", server.address);
      expect(second, "after budget resets").to.not.equal(first);
      expect(shutDown(first), "the idle old client is closed at once").to.equal(true);
      expect([cache.size, cache.retiring]).to.deep.equal([1, 0]);
      expect((await open(second, "end").status).code).to.equal(grpc.status.OK);
      expect(server.connections(), "the new client dialled its own connection").to.equal(2);
    });

    it("counts calls in flight toward the budget (each may yet be cancelled)", async () => {
      cache = new ClientCache(RouterClient, 3);
      const first = cache.get("x", server.address);
      const held = [open(first, "hold"), open(first, "hold")];
      await Promise.all(held.map((c) => c.first));
      expect(cache.get("x", server.address), "exposure 2 < 3").to.equal(first);
      held.push(open(first, "hold"));
      await held[2].first;
      expect(cache.get("x", server.address), "exposure 3").to.not.equal(first);
      server.release();
      await Promise.all(held.map((c) => c.status));
    });

    it("closes the old client only after its last call has ended; its calls finish normally", async () => {
      cache = new ClientCache(RouterClient, 2);
      const old = cache.get("x", server.address);
      const a = open(old, "hold");
      const b = open(old, "hold");
      await Promise.all([a.first, b.first]);
      const fresh = cache.get("x", server.address);
      expect(fresh).to.not.equal(old);
      expect([shutDown(old), cache.retiring]).to.deep.equal([false, 1]);
      a.call.cancel();
      await a.status;
      expect(shutDown(old), "one call still running").to.equal(false);
      server.release();
      expect((await b.status).code, "the retired client's call ends with its status").to.equal(grpc.status.OK);
      expect([shutDown(old), cache.retiring, shutDown(fresh)]).to.deep.equal([true, 0, false]);
    });

    for (const how of ["retain", "drop"] as const) {
      it(`${how}() closes both generations of a departed instance`, async () => {
        cache = new ClientCache(RouterClient, 1);
        const old = cache.get("x", server.address);
        const held = open(old, "hold");
        await held.first;
        const fresh = cache.get("x", server.address);
        const other = cache.get("y", server.address);
        if (how === "retain") cache.retain([{ instanceId: "y" }]);
        else cache.drop("x");
        expect([shutDown(old), shutDown(fresh), shutDown(other)]).to.deep.equal([true, true, false]);
        expect([cache.size, cache.retiring]).to.deep.equal([1, 0]);
        held.call.cancel();
        await held.status;
      });
    }

    it("closeAll() closes retired clients too", async () => {
      cache = new ClientCache(RouterClient, 1);
      const old = cache.get("x", server.address);
      const held = open(old, "hold");
      await held.first;
      const fresh = cache.get("x", server.address);
      cache.closeAll();
      expect([shutDown(old), shutDown(fresh), cache.size, cache.retiring]).to.deep.equal([true, true, 0, 0]);
      held.call.cancel();
      await held.status;
    });
  });
});
