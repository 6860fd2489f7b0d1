import { expect } from "chai";
import { carryAfterStep, carryFits } from "../../../services/worker/src/runners/onnx-past-carry.js";
import type { RunnerRow } from "../../../services/worker/src/runners/model-runner.js";

const row = (numComputedTokens: number, newTokens: number, blockIds: number[]): RunnerRow => ({
  newTokenIds: new Array<number>(newTokens).fill(5), numComputedTokens, blockIds, needsLogits: true,
});
const presents = { "present.0.key": "k0", "present.0.value": "v0", "present.1.key": "k1", "present.1.value": "v1" };

describe("carried past between decode steps", () => {
  it("renames present to past and records each row's computed tokens and blocks", () => {
    const carry = carryAfterStep([row(16, 1, [3, 7, 9]), row(3, 1, [2, 8])], 16, presents);
    expect(carry?.past).to.deep.equal({ "past_key_values.0.key": "k0", "past_key_values.0.value": "v0", "past_key_values.1.key": "k1", "past_key_values.1.value": "v1" });
    expect(carry?.rows).to.deep.equal([{ computed: 17, blockIds: [3, 7] }, { computed: 4, blockIds: [2] }]);
  });

  it("leaves nothing after a step whose rows' new lengths differ (padding would sit inside present)", () => {
    expect(carryAfterStep([row(16, 1, [3, 7]), row(0, 4, [2])], 16, presents)).to.equal(null);
  });

  const carry = carryAfterStep([row(16, 1, [3, 7]), row(3, 1, [2])], 16, presents);
  const cases: [string, RunnerRow[], boolean][] = [
    ["the same sequences, one token on", [row(17, 1, [3, 7]), row(4, 1, [2])], true],
    ["a row that grew a block", [row(17, 1, [3, 7]), row(4, 13, [2, 11])], true],
    ["rows in another order", [row(4, 1, [2]), row(17, 1, [3, 7])], false],
    ["a row dropped", [row(17, 1, [3, 7])], false],
    ["a row joined", [row(17, 1, [3, 7]), row(4, 1, [2]), row(0, 3, [5])], false],
    ["a different block under the same count", [row(17, 1, [3, 6]), row(4, 1, [2])], false],
    ["a row recomputed from scratch", [row(0, 18, [3, 7]), row(4, 1, [2])], false],
  ];
  for (const [label, rows, fits] of cases) {
    it(`${fits ? "reuses" : "does not reuse"} it for ${label}`, () => expect(carryFits(carry, rows)).to.equal(fits));
  }
  it("does not reuse a missing carry", () => expect(carryFits(null, [row(1, 1, [0])])).to.equal(false));
});
