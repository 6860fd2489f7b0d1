// Block hashes supplied with a prompt (GenerateRequest / RouteRequest block_hashes): the
// decider routes by them instead of hashing, still hashes without them (or for another block
// size), and refuses a set that cannot belong to the prompt with INVALID_ARGUMENT on block_hashes.
import { expect } from "chai";
import { Code } from "#common/errors.js";
import { hashBlocks } from "#common/kv-hash.js";
import type { SuppliedBlockHashes } from "../../../services/router/src/scheduling/supplied-hashes.js";
import { suppliedRequestBlocks } from "../../../services/router/src/scheduling/supplied-hashes.js";
import { deciderFor, readyRegistry } from "./router-fakes.js";

const BS = 4;
const prompt = (seed: number, tokens: number): number[] => Array.from({ length: tokens }, (_, i) => seed * 1000 + i);
const supplied = (tokens: number[], blockSize = BS): SuppliedBlockHashes => {
  const h = hashBlocks(tokens, blockSize);
  return { blockSize, localHashes: h.local, sequenceHashes: h.sequence };
};

/** A decider whose index holds `cached` on w2 only. */
function deciderWithCached(cached: number[]) {
  const parts = deciderFor(readyRegistry(["w1", "w2", "w3"]));
  const h = hashBlocks(cached, BS);
  parts.index.applyEvents("w2", [{ eventId: 1n, data: { $case: "stored", stored: { blocks: h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] })) } } }]);
  return parts;
}

describe("router: block hashes supplied with the prompt", () => {
  const cached = prompt(1, 16);
  const other = prompt(2, 16);

  it("routes by the supplied hashes: another prompt's hashes are taken as they are, not recomputed", () => {
    const { decider } = deciderWithCached(cached);
    // Tokens of `other` (cached nowhere) with the hashes of `cached` (on w2): the hashes decide.
    const plan = decider.plan({ model: "m", tokenIds: other, blockHashes: supplied(cached) });
    expect(plan.decision.workerId).to.equal("w2");
    expect(plan.decision.bestOverlapBlocks).to.equal(4);
    expect(plan.request.hashes).to.deep.equal(hashBlocks(cached, BS));
  });

  it("hashes the prompt itself when nothing is supplied", () => {
    const { decider } = deciderWithCached(cached);
    const plan = decider.plan({ model: "m", tokenIds: other });
    expect(plan.decision.bestOverlapBlocks).to.equal(0);
    expect(plan.request.hashes).to.deep.equal(hashBlocks(other, BS));
    expect(decider.plan({ model: "m", tokenIds: cached }).decision).to.include({ workerId: "w2", bestOverlapBlocks: 4 });
  });

  it("hashes the prompt itself when the supplied hashes use another block size than the model's", () => {
    const { decider } = deciderWithCached(cached);
    // Valid hashes of `cached` in blocks of 8: ignored, the router hashes `other` in blocks of 4.
    const plan = decider.plan({ model: "m", tokenIds: other, blockHashes: supplied(cached, 8) });
    expect(plan.request.hashes).to.deep.equal(hashBlocks(other, BS));
    expect(plan.decision.bestOverlapBlocks).to.equal(0);
  });

  it("the same decision and load accounting from supplied hashes as from hashing", () => {
    const tokens = [...cached, 7, 7, 7]; // 19 tokens: 4 full blocks and a partial one
    const a = deciderWithCached(cached);
    const b = deciderWithCached(cached);
    const viaHashes = a.decider.plan({ model: "m", tokenIds: tokens, blockHashes: supplied(tokens) });
    const viaTokens = b.decider.plan({ model: "m", tokenIds: tokens });
    expect(viaHashes.decision).to.deep.equal(viaTokens.decision);
    expect(viaHashes.request).to.deep.equal(viaTokens.request);
    expect(viaHashes.request.requestBlocks).to.equal(5);
  });

  describe("boundaries of the block count (floor(tokens / block size) full blocks)", () => {
    const cases: { tokens: number; blocks: number; ok: boolean }[] = [
      { tokens: 3, blocks: 0, ok: true }, // shorter than one block: an empty set is the whole set
      { tokens: 4, blocks: 1, ok: true },
      { tokens: 7, blocks: 1, ok: true },
      { tokens: 8, blocks: 2, ok: true },
      { tokens: 8, blocks: 1, ok: false }, // one short
      { tokens: 7, blocks: 2, ok: false }, // one past (the partial block is never hashed)
      { tokens: 4, blocks: 0, ok: false },
    ];
    for (const c of cases) {
      it(`${c.tokens} tokens with ${c.blocks} hashes: ${c.ok ? "accepted" : "INVALID_ARGUMENT"}`, () => {
        const tokens = prompt(3, c.tokens);
        const full = hashBlocks(prompt(3, 64), BS);
        const set = { blockSize: BS, localHashes: full.local.slice(0, c.blocks), sequenceHashes: full.sequence.slice(0, c.blocks) };
        if (c.ok) expect(suppliedRequestBlocks(c.tokens, BS, set)?.hashes.local).to.have.length(c.blocks);
        else expectInvalid(() => suppliedRequestBlocks(tokens.length, BS, set));
      });
    }
  });

  const malformed: { name: string; set: () => SuppliedBlockHashes }[] = [
    { name: "block size 0", set: () => ({ ...supplied(cached), blockSize: 0 }) },
    { name: "fewer sequence than local hashes", set: () => ({ ...supplied(cached), sequenceHashes: supplied(cached).sequenceHashes.slice(1) }) },
    { name: "fewer local than sequence hashes", set: () => ({ ...supplied(cached), localHashes: supplied(cached).localHashes.slice(1) }) },
    { name: "a first sequence hash that is not the first local hash", set: () => ({ ...supplied(cached), sequenceHashes: [1n, ...supplied(cached).sequenceHashes.slice(1)] }) },
    { name: "a count that fits another block size's prompt than the one it names", set: () => ({ ...supplied(cached, 8), blockSize: 4 }) },
  ];
  for (const c of malformed) {
    it(`refuses ${c.name} with INVALID_ARGUMENT (param block_hashes), in plan and in every mode`, () => {
      for (const mode of ["kv", "round-robin"] as const) {
        const { decider } = deciderFor(readyRegistry(["w1"]), mode);
        expectInvalid(() => decider.plan({ model: "m", tokenIds: cached, blockHashes: c.set() }));
      }
    });
  }

  it("an absent set is not an empty one: undefined asks the router to hash", () => {
    expect(suppliedRequestBlocks(16, BS, undefined)).to.equal(undefined);
    expectInvalid(() => suppliedRequestBlocks(16, BS, { blockSize: BS, localHashes: [], sequenceHashes: [] }));
  });
});

function expectInvalid(fn: () => unknown): void {
  expect(fn).to.throw().that.satisfies((err: { code: number; param?: string }) => err.code === Code.INVALID_ARGUMENT && err.param === "block_hashes");
}
