// The ttft policy scores every candidate through one reused terms object (ttft.ts): its scores
// must be each candidate's own ttftTerms(…).scoreMs, whatever the previous decision's fleet
// size or values were (seeded inputs of 1 to 70 candidates, in turn).
import { expect } from "chai";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";
import { MOCKER_STEP_TIMES } from "../../../services/router/src/scheduling/step-time-model.js";
import { createTtft, DEFAULT_CHUNK_TOKENS, fleetView, ttftTerms } from "../../../services/router/src/scheduling/ttft.js";
import { candidate, request } from "./policy-fixtures.js";

describe("ttft policy: scores through a reused terms object", () => {
  it("equal each candidate's own terms across 200 decisions of changing fleet sizes", () => {
    const rng = seededRng(23);
    const policy = createTtft({ now: () => 0 });
    for (let step = 0; step < 200; step++) {
      const n = 1 + Math.floor(rng() * 70);
      const isl = 1 + Math.floor(rng() * 5000);
      const candidates = Array.from({ length: n }, (_, i) => candidate(`w${i}`, {
        overlapBlocks: Math.floor(rng() * (isl / 16 + 2)), activePrefillTokens: Math.floor(rng() * 9000), newBlocks: Math.floor(rng() * 400),
        requestsInFlight: Math.floor(rng() * 6), kvUsage: rng(), freeBlocks: rng() < 0.2 ? Number.POSITIVE_INFINITY : Math.floor(rng() * 300),
      }));
      const input = request(candidates, isl);
      const fleet = fleetView(input);
      const expected = candidates.map((c) => ttftTerms(input, c, MOCKER_STEP_TIMES, DEFAULT_CHUNK_TOKENS, fleet).scoreMs / 1000);
      expect(policy.score!(input), `step ${step}`).to.deep.equal(expected);
    }
  });
});
