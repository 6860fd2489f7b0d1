// The worker's StreamKvEvents handler over real gRPC on 127.0.0.1, read by a plain client:
// which retained events it serves for each resume point, OUT_OF_RANGE, and the end on close.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import type { KvStreamMessage } from "#contracts/gen/kvmesh/v1/worker.js";
import { FakeWorkerState, range, serveEvents as serve } from "../../support/event-worker-state.js";

describe("worker StreamKvEvents handler", () => {
  const servers: grpc.Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.forceShutdown();
  });

  describe("handler, raw client", () => {
    const table: { after: bigint | undefined; expectIds: bigint[] | "OUT_OF_RANGE" }[] = [
      { after: undefined, expectIds: range(5n, 12n) },
      { after: 4n, expectIds: range(5n, 12n) },
      { after: 9n, expectIds: [10n, 11n, 12n] },
      { after: 12n, expectIds: [] },
      { after: 3n, expectIds: "OUT_OF_RANGE" },
      { after: 13n, expectIds: "OUT_OF_RANGE" },
    ];
    for (const row of table) {
      it(`after_event_id ${row.after} with ids 1..12 retained from 5 → ${Array.isArray(row.expectIds) ? `[${row.expectIds.join(",")}] then a load` : row.expectIds}`, async () => {
        const state = new FakeWorkerState(1n, 8);
        state.storeNext(12);
        const { server, port } = await serve(state);
        servers.push(server);
        const client = new WorkerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        try {
          const got = await new Promise<KvStreamMessage[] | grpc.ServiceError>((resolve) => {
            const msgs: KvStreamMessage[] = [];
            const call = client.streamKvEvents({ afterEventId: row.after });
            call.on("data", (m: KvStreamMessage) => {
              msgs.push(m);
              if (m.message?.$case === "load") {
                call.cancel();
                resolve(msgs);
              }
            });
            call.on("error", (err: grpc.ServiceError) => resolve(err));
          });
          if (row.expectIds === "OUT_OF_RANGE") {
            expect(got).to.have.property("code", grpc.status.OUT_OF_RANGE);
            return;
          }
          const msgs = got as KvStreamMessage[];
          const ids = msgs.flatMap((m) => (m.message?.$case === "batch" ? m.message.batch.events.map((e) => e.eventId) : []));
          expect(ids).to.deep.equal(row.expectIds);
          const last = msgs.at(-1)!.message;
          expect(last?.$case).to.equal("load");
          if (last?.$case === "load") expect(last.load).to.deep.include({ workerId: "w1", epoch: 1n, model: "m", lastEventId: 12n, blocksCachedFree: 12 });
        } finally {
          client.close();
        }
      });
    }
  });

  it("ends open streams with status OK when the worker closes its ring", async () => {
    const state = new FakeWorkerState(1n, 8);
    const { server, port } = await serve(state);
    servers.push(server);
    const client = new WorkerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const code = await new Promise<number>((resolve) => {
        const call = client.streamKvEvents({});
        call.on("data", (m: KvStreamMessage) => {
          if (m.message?.$case === "load") state.ring.close();
        });
        call.on("status", (st: grpc.StatusObject) => resolve(st.code));
      });
      expect(code).to.equal(grpc.status.OK);
    } finally {
      client.close();
    }
  });
});
