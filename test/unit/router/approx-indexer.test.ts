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

  it("nextExpiryAt: +∞ when empty, the earliest block's expiry, recomputed by a sweep that is due", () => {
    const index = new ApproxIndexer(now);
    expect(index.nextExpiryAt).to.equal(Number.POSITIVE_INFINITY);
    index.record("w1", chain("AB"));
    expect(index.nextExpiryAt).to.equal(APPROX_TTL_MS);
    t = 60_000;
    index.record("w2", chain("C"));
    index.record("w1", chain("AB")); // w1's blocks now expire at 60 s + TTL: the bound stays, conservative
    expect(index.nextExpiryAt).to.equal(APPROX_TTL_MS);
    t = APPROX_TTL_MS - 1;
    expect(index.sweep()).to.equal(0);
    t = APPROX_TTL_MS;
    expect(index.sweep(), "nothing had expired after all").to.equal(0);
    expect(index.nextExpiryAt).to.equal(60_000 + APPROX_TTL_MS);
    t = 60_000 + APPROX_TTL_MS;
    expect(index.sweep()).to.equal(3); // A and B on w1, C on w2
    expect(index.nextExpiryAt).to.equal(Number.POSITIVE_INFINITY);
    expect(index.blockCount("w1") + index.blockCount("w2")).to.equal(0);
  });

  it("a decision over 64 workers (blockCount each, then findMatches) walks the expiries at most once, and not at all when nothing is due", () => {
    const index = new ApproxIndexer(now);
    const workers = Array.from({ length: 64 }, (_, i) => `w${i}`);
    workers.forEach((w, i) => {
      t = i; // w0's blocks expire first
      index.record(w, chain("AB"));
    });
    // Count the sweeps that walk the per-worker expiries (reaching into the private map).
    const expiries = (index as unknown as { expiries: Map<string, unknown> }).expiries;
    let walks = 0;
    const entries = expiries[Symbol.iterator].bind(expiries);
    expiries[Symbol.iterator] = () => {
      walks++;
      return entries();
    };
    const decide = (): void => {
      for (const w of workers) index.blockCount(w);
      index.findMatches(chain("AB").local);
    };
    t = APPROX_TTL_MS - 1;
    decide();
    expect(walks, "nothing due").to.equal(0);
    t = APPROX_TTL_MS + 1; // w0's and w1's blocks are due
    decide();
    expect(walks, "one sweep forgets what is due, the rest find nothing due").to.equal(1);
    expect(index.blockCount("w0") + index.blockCount("w1")).to.equal(0);
    expect(index.blockCount("w2")).to.equal(2);
    expect(index.nextExpiryAt).to.equal(APPROX_TTL_MS + 2);
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
