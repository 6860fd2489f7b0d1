import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import { APPROX_TTL_MS, ApproxIndexer } from "../../../services/router/src/indexer/approx-indexer.js";

const BS = 4;
const chain = (word: string) =>
  hashBlocks([...word].flatMap((ch) => Array.from({ length: BS }, (_, i) => ch.charCodeAt(0) * 16 + i)), BS);

describe("router approximate indexer (--kv-events none)", () => {
  let t = 0;
  const now = (): number => t;
  beforeEach(() => {
    t = 0;
  });

  const expiryCases = [
    { at: APPROX_TTL_MS - 1, overlap: 2 },
    { at: APPROX_TTL_MS, overlap: 0 },
  ];
  for (const c of expiryCases) {
    it(`a routed request's blocks at ${c.at} ms: overlap ${c.overlap}`, () => {
      const index = new ApproxIndexer(now);
      index.record("w1", chain("AB"));
      t = c.at;
      expect(index.findMatches(chain("ABC").local).get("w1") ?? 0).to.equal(c.overlap);
      expect(index.blockCount("w1")).to.equal(c.overlap);
    });
  }

  it("a later touch extends only the touched blocks", () => {
    const index = new ApproxIndexer(now);
    index.record("w1", chain("AC"));
    t = 60_000;
    index.record("w1", chain("AB"));
    t = 130_000; // C expired, A and B were touched at 60 s
    expect(index.findMatches(chain("AC").local)).to.deep.equal(new Map([["w1", 1]]));
    expect(index.findMatches(chain("AB").local)).to.deep.equal(new Map([["w1", 2]]));
    t = 180_000;
    expect(index.findMatches(chain("AB").local).size).to.equal(0);
  });

  it("keeps workers apart and forgets a removed worker", () => {
    const index = new ApproxIndexer(now);
    index.record("w1", chain("AB"));
    index.record("w2", chain("A"));
    expect(index.findMatches(chain("AB").local)).to.deep.equal(new Map([["w1", 2], ["w2", 1]]));
    index.removeWorker("w1");
    expect(index.findMatches(chain("AB").local)).to.deep.equal(new Map([["w2", 1]]));
  });
});
