import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import { BlockPool } from "../../../services/worker/src/engine/block-pool.js";
import { KvCacheManager } from "../../../services/worker/src/engine/kv-cache-manager.js";
import { KvEventRecorder } from "../../../services/worker/src/engine/kv-events.js";
import type { KvEventData } from "../../../services/worker/src/engine/kv-events.js";
import { EngineRequest } from "../../../services/worker/src/engine/request.js";
import { DEFAULT_SAMPLING, DEFAULT_STOP } from "../../../services/worker/src/sampling/sampling-params.js";

const BS = 4;
let arrival = 0;
function request(tokenIds: number[]): EngineRequest {
  arrival++;
  return new EngineRequest(
    { requestId: `r${arrival}`, tokenIds, sampling: DEFAULT_SAMPLING, stop: DEFAULT_STOP, seed: 1n, resumeFromIndex: 0, arrival },
    BS,
  );
}

function setup(numBlocks: number): { kv: KvCacheManager; events: KvEventData[] } {
  const recorder = new KvEventRecorder();
  const events: KvEventData[] = [];
  recorder.subscribe((e) => events.push(e));
  return { kv: new KvCacheManager(new BlockPool(numBlocks, recorder), BS, recorder), events };
}

/** Admits a request the way the scheduler does and computes all its tokens. */
function prefill(kv: KvCacheManager, r: EngineRequest): number {
  const hit = kv.getComputedBlocks(r);
  expect(kv.allocateSlots(r, r.numTokens - hit.numTokens, hit.blockIds)).to.equal(true);
  r.numComputedTokens = r.numTokens;
  kv.cacheFullBlocks(r);
  return hit.numTokens;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

describe("engine KV cache manager", () => {
  it("stores full blocks with the shared hashes and chains later blocks to their parent", () => {
    const { kv, events } = setup(8);
    const r = request(range(1, 11)); // 2 full blocks + 2 tokens
    prefill(kv, r);
    const h = hashBlocks(range(1, 11), BS);
    expect(events).to.deep.equal([
      { $case: "stored", stored: { blocks: [0, 1].map((i) => ({ sequenceHash: h.sequence[i], localHash: h.local[i] })) } },
    ]);
    r.allTokenIds.push(11, 12);
    r.numComputedTokens = 12;
    expect(kv.allocateSlots(r, 0)).to.equal(true);
    kv.cacheFullBlocks(r);
    const h3 = hashBlocks(range(1, 13), BS);
    expect(events[1]).to.deep.equal({
      $case: "stored",
      stored: { parentSequenceHash: h3.sequence[1], blocks: [{ sequenceHash: h3.sequence[2], localHash: h3.local[2] }] },
    });
  });

  const capCases = [
    { name: "prompt of exactly 3 full blocks hits only 2 (one token must be computed)", cached: 12, prompt: 12, hit: 8 },
    { name: "prompt one token past the cached blocks hits all 3", cached: 12, prompt: 13, hit: 12 },
    { name: "diverging in block 2 hits block 1 only", cached: 12, prompt: 12, hit: 4, diverge: 5 },
    { name: "a prompt shorter than a block hits nothing", cached: 12, prompt: 3, hit: 0 },
  ];
  for (const c of capCases) {
    it(`prefix hit: ${c.name}`, () => {
      const { kv } = setup(16);
      const first = request(range(1, c.cached + 1));
      prefill(kv, first);
      const prompt = range(1, c.prompt + 1);
      if (c.diverge !== undefined) prompt[c.diverge] = 99;
      expect(kv.getComputedBlocks(request(prompt)).numTokens).to.equal(c.hit);
    });
  }

  it("holds a 3-block prefix shared by two live sequences once", () => {
    const { kv } = setup(16);
    const a = request([...range(1, 13), 50, 51]);
    const b = request([...range(1, 13), 60]);
    prefill(kv, a);
    expect(prefill(kv, b)).to.equal(12);
    expect(b.blockIds.slice(0, 3)).to.deep.equal(a.blockIds.slice(0, 3));
    expect(a.blockIds.slice(0, 3).map((id) => kv.pool.refCount(id))).to.deep.equal([2, 2, 2]);
    expect(kv.pool.counts().active).to.equal(5); // 3 shared + one tail block each
    kv.free(a);
    kv.free(b);
    expect(kv.pool.counts()).to.deep.equal({ active: 0, cachedFree: 3, total: 16 });
  });

  it("frees tail blocks first so they are evicted before the prefix", () => {
    const { kv, events } = setup(3);
    const r = request(range(1, 13));
    prefill(kv, r); // 3 blocks, 3 cached
    const [b0, b1, b2] = r.blockIds;
    kv.free(r);
    const other = request([90, 91, 92]);
    expect(kv.allocateSlots(other, 3)).to.equal(true);
    expect(other.blockIds).to.deep.equal([b2]);
    expect(events[events.length - 1]).to.deep.equal({
      $case: "removed", removed: { sequenceHashes: [hashBlocks(range(1, 13), BS).sequence[2]] },
    });
    expect(kv.pool.lookup(hashBlocks(range(1, 13), BS).sequence[0])).to.equal(b0);
    expect(b1).to.not.equal(b2);
  });

  it("refuses an allocation that does not fit and changes nothing", () => {
    const { kv } = setup(2);
    const r = request(range(1, 10));
    expect(kv.allocateSlots(r, 9)).to.equal(false);
    expect(r.blockIds).to.deep.equal([]);
    expect(kv.pool.counts().active).to.equal(0);
  });

  it("counts a free cached prefix block against the free blocks it takes out of the queue", () => {
    const { kv } = setup(3);
    const a = request(range(1, 9)); // 2 full blocks
    prefill(kv, a);
    kv.free(a);
    const b = request([...range(1, 9), 70, 71, 72, 73, 74]); // hit 2, needs 2 more: 4 > 3
    const hit = kv.getComputedBlocks(b);
    expect(hit.numTokens).to.equal(8);
    expect(kv.allocateSlots(b, 5, hit.blockIds)).to.equal(false);
    expect(kv.pool.counts()).to.deep.equal({ active: 0, cachedFree: 2, total: 3 });
  });

  it("reset clears free cached blocks and re-announces the ones still in use", () => {
    const { kv, events } = setup(8);
    const idle = request(range(1, 9));
    prefill(kv, idle);
    kv.free(idle);
    const live = request(range(20, 28));
    prefill(kv, live);
    const before = events.length;
    kv.reset();
    const after = events.slice(before).map((e) => e.$case);
    expect(after).to.deep.equal(["cleared", "stored", "stored"]);
    expect(kv.pool.counts().cachedFree).to.equal(0);
    expect(kv.getComputedBlocks(request(range(1, 10))).numTokens).to.equal(0);
    expect(kv.getComputedBlocks(request(range(20, 29))).numTokens).to.equal(8);
  });
});
