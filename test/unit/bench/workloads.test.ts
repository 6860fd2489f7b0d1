import { expect } from "chai";
import { multiTurnWorkload } from "../../../bench/workloads/multi-turn.js";
import { sharedPrefixWorkload } from "../../../bench/workloads/shared-prefix.js";
import type { SharedPrefixOptions } from "../../../bench/workloads/shared-prefix.js";
import { tokenRange } from "../../../bench/workloads/types.js";
import type { Workload } from "../../../bench/workloads/types.js";

const tokens = tokenRange(512);
const shared = (over: Partial<SharedPrefixOptions> = {}): Workload =>
  sharedPrefixWorkload({ numRequests: 200, prefixGroups: 4, prefixRatio: 0.5, inputLen: 256, inputLenStd: 0, outputLen: 32, outputLenStd: 0, seed: 7, tokens, ...over });
const prompts = (w: Workload): number[][] => w.chains.flatMap((c) => c.requests.map((r) => r.prompt()));
const commonPrefix = (a: readonly number[], b: readonly number[]): number => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

describe("bench shared-prefix workload", () => {
  it("is a pure function of its seed", () => {
    expect(prompts(shared())).to.deep.equal(prompts(shared()));
    expect(prompts(shared({ seed: 8 }))).to.not.deep.equal(prompts(shared()));
  });

  for (const { ratio, std } of [{ ratio: 0, std: 0 }, { ratio: 0.25, std: 0 }, { ratio: 0.5, std: 0 }, { ratio: 0.9, std: 0 }, { ratio: 0.5, std: 20 }, { ratio: 0.75, std: 30 }]) {
    it(`achieves a prefix ratio of ${ratio} (input-len std ${std})`, () => {
      const w = shared({ prefixRatio: ratio, inputLenStd: std });
      const prefixLen = w.params.prefixLen as number;
      const all = prompts(w);
      const total = all.reduce((n, p) => n + p.length, 0);
      expect((prefixLen * all.length) / total).to.be.closeTo(ratio, 0.02);
      // Requests of one group share exactly the group prefix.
      const groups = new Map<string, number[][]>();
      w.chains.forEach((c, i) => {
        const g = c.requests[0].id.split("-")[0];
        groups.set(g, [...(groups.get(g) ?? []), all[i]]);
      });
      for (const members of groups.values()) for (const p of members.slice(1)) expect(p.slice(0, prefixLen)).to.deep.equal(members[0].slice(0, prefixLen));
    });
  }

  it("keeps token ids in [3, vocab), lengths as asked and every group used", () => {
    const w = shared({ outputLenStd: 5, inputLenStd: 10 });
    for (const p of prompts(w)) for (const t of p) expect(t).to.be.within(3, 511);
    for (const c of w.chains) expect(c.requests[0].prompt()).to.have.length(c.requests[0].promptLen);
    expect(new Set(w.chains.map((c) => c.requests[0].id.split("-")[0])).size).to.equal(4);
    expect(new Set(w.chains.map((c) => c.requests[0].outputLen)).size).to.be.greaterThan(1);
  });

  it("gives distinct groups distinct prefixes", () => {
    const w = shared({ prefixGroups: 2, numRequests: 50 });
    const byGroup = new Map(w.chains.map((c) => [c.requests[0].id.split("-")[0], c.requests[0].prompt()]));
    const [a, b] = [...byGroup.values()];
    expect(commonPrefix(a, b)).to.be.below(4);
  });
});

describe("bench multi-turn workload", () => {
  const make = (seed = 3, sessions = 3) => multiTurnWorkload({ sessions, turns: 4, thinkTimeMs: 250, inputLen: 20, inputLenStd: 0, outputLen: 10, outputLenStd: 0, seed, tokens });

  it("grows each turn by the previous answer and a new user message", () => {
    for (const chain of make().chains) {
      expect(chain.requests).to.have.length(4);
      for (let t = 1; t < chain.requests.length; t++) {
        const prev = chain.requests[t - 1].prompt();
        const cur = chain.requests[t].prompt();
        expect(cur.length).to.equal(prev.length + chain.requests[t - 1].outputLen + 20);
        expect(cur.slice(0, prev.length)).to.deep.equal(prev);
      }
    }
  });

  it("waits the think time before every turn but the first", () => {
    for (const chain of make().chains) expect(chain.requests.map((r) => r.thinkMs)).to.deep.equal([0, 250, 250, 250]);
  });

  it("is seeded, and adding sessions leaves the others unchanged", () => {
    const ps = (w: Workload) => w.chains.map((c) => c.requests.map((r) => r.prompt()));
    expect(ps(make())).to.deep.equal(ps(make()));
    expect(ps(make(4))).to.not.deep.equal(ps(make()));
    expect(ps(make(3, 5)).slice(0, 3)).to.deep.equal(ps(make()));
  });

  it("ends a session before its prompt would pass the context", () => {
    const w = multiTurnWorkload({ sessions: 1, turns: 10, thinkTimeMs: 0, inputLen: 20, inputLenStd: 0, outputLen: 10, outputLenStd: 0, maxPromptLen: 100, seed: 1, tokens });
    expect(w.chains[0].requests.map((r) => r.promptLen)).to.deep.equal([20, 50, 80]);
  });
});
