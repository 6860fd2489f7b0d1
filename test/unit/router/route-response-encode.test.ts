// Router.Route's response encoder (route-response-encode.ts) writes the decision's rows without
// a rounded copy; it must write exactly what the generated RouteResponse.encode writes for the
// rounded rows, and be updated when either message gains a field.
import { expect } from "chai";
import { RouteResponse, WorkerCost } from "#contracts/gen/kvmesh/v1/router.js";
import { encodeRouteResponse } from "../../../services/router/src/route-response-encode.js";
import type { RouteAnswer } from "../../../services/router/src/route-response-encode.js";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";

/** What the service sent before: the generated encoder over rows rounded one by one. */
function generated(answer: RouteAnswer): Uint8Array {
  const workers = answer.workers.map((w) => ({ ...w, prefillTokens: Math.round(w.prefillTokens), decodeBlocks: Math.round(w.decodeBlocks) }));
  return RouteResponse.encode({ ...answer, workers }).finish();
}

describe("router: Route's response encoder matches the generated one", () => {
  it("knows every field of RouteResponse and WorkerCost (a new field fails here: teach the encoder)", () => {
    expect(Object.keys(RouteResponse.fromPartial({}))).to.deep.equal(["workerId", "workers", "bestOverlapBlocks", "requestBlocks", "blockSize", "predictedCachedTokens", "predictedTtftMs"]);
    expect(Object.keys(WorkerCost.fromPartial({}))).to.deep.equal(["workerId", "overlapBlocks", "prefillTokens", "decodeBlocks", "cost", "busy"]);
  });

  it("on 300 seeded random answers: fractional load rounded, zeros and empties omitted, uint32 max, optional ttft", () => {
    const rng = seededRng(23);
    const u32 = (): number => (rng() < 0.2 ? 0 : rng() < 0.05 ? 2 ** 32 - 1 : Math.floor(rng() * 2 ** (1 + Math.floor(rng() * 31))));
    // Below 2^32 − 1 after rounding (x.5 rounds up).
    const load = (): number => (rng() < 0.2 ? 0 : rng() < 0.1 ? 0.5 : rng() < 0.1 ? 0.49 : rng() * 1e6);
    for (let i = 0; i < 300; i++) {
      const workers = Array.from({ length: Math.floor(rng() * 70) }, (_, w) => ({
        workerId: rng() < 0.05 ? "" : `wörker-${w}`,
        overlapBlocks: u32(),
        prefillTokens: load(),
        decodeBlocks: load(),
        cost: rng() < 0.2 ? 0 : rng() < 0.1 ? -rng() : rng() * 1e4,
        busy: rng() < 0.3,
      }));
      const answer: RouteAnswer = {
        workerId: rng() < 0.1 ? "" : `w${i}`,
        workers,
        bestOverlapBlocks: u32(),
        requestBlocks: u32(),
        blockSize: u32(),
        predictedCachedTokens: u32(),
        ...(rng() < 0.5 ? { predictedTtftMs: rng() < 0.2 ? 0 : rng() * 100 } : {}),
      };
      const bytes = encodeRouteResponse(answer);
      expect(Buffer.isBuffer(bytes), `answer ${i}`).to.equal(true);
      expect(new Uint8Array(bytes), `answer ${i}`).to.deep.equal(generated(answer));
      // And it reads back as the rounded rows.
      expect(RouteResponse.decode(bytes).workers.map((w) => w.prefillTokens)).to.deep.equal(workers.map((w) => Math.round(w.prefillTokens)));
    }
  });

  it("an empty answer is zero bytes; predicted_ttft_ms 0 is still written (optional)", () => {
    const empty: RouteAnswer = { workerId: "", workers: [], bestOverlapBlocks: 0, requestBlocks: 0, blockSize: 0, predictedCachedTokens: 0 };
    expect(encodeRouteResponse(empty).length).to.equal(0);
    const zeroTtft = encodeRouteResponse({ ...empty, predictedTtftMs: 0 });
    expect(new Uint8Array(zeroTtft)).to.deep.equal(generated({ ...empty, predictedTtftMs: 0 }));
    expect(RouteResponse.decode(zeroTtft).predictedTtftMs).to.equal(0);
  });
});
