import { expect } from "chai";
import { backoffDelay } from "#common/discovery/backoff.js";
import { seededRandom } from "#common/seeded-random.js";

describe("discovery backoff", () => {
  const cases = [
    { attempt: 0, random: 0, delay: 100 },
    { attempt: 0, random: 0.999, delay: 199 },
    { attempt: 1, random: 0, delay: 200 },
    { attempt: 3, random: 0.5, delay: 1200 },
    { attempt: 10, random: 0, delay: 2500 }, // capped at maxMs
    { attempt: 1000, random: 0.5, delay: 3750 }, // huge attempt counts do not overflow
  ];
  for (const { attempt, random, delay } of cases) {
    it(`waits ${delay} ms on attempt ${attempt} with random ${random}`, () => {
      expect(backoffDelay(attempt, { baseMs: 200, maxMs: 5000, random: () => random })).to.equal(delay);
    });
  }

  it("stays within [cap/2, cap) and grows with the attempt (seeded)", () => {
    const random = seededRandom(1);
    for (let attempt = 0; attempt < 12; attempt++) {
      const cap = Math.min(5000, 200 * 2 ** attempt);
      for (let k = 0; k < 50; k++) {
        const d = backoffDelay(attempt, { baseMs: 200, maxMs: 5000, random });
        expect(d).to.be.at.least(cap / 2).and.below(cap);
      }
    }
  });
});
