// The router hashes every prompt with common/kv-hash.ts, which writes into reused scratch
// arrays for speed. This checks it against the definition written out the plain way (a fresh
// Buffer per block, ARCHITECTURE.md "Block hashing") on seeded random prompts.
import { expect } from "chai";
import { xxh3 } from "@node-rs/xxhash";
import { chainSequenceHash, hashBlocks, localBlockHash } from "#common/kv-hash.js";
import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import { routeRequestBlocks } from "../../../services/router/src/scheduling/route-plan.js";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";

/** The definition: token ids as LE uint32, then XXH3-64 seed 1337; chain over 16 LE bytes. */
function referenceHashes(tokens: readonly number[], bs: number): { local: bigint[]; sequence: bigint[] } {
  const local: bigint[] = [];
  const sequence: bigint[] = [];
  for (let b = 0; b + bs <= tokens.length; b += bs) {
    const bytes = Buffer.alloc(bs * 4);
    for (let i = 0; i < bs; i++) bytes.writeUInt32LE(tokens[b + i] >>> 0, i * 4);
    const l = xxh3.xxh64(bytes, 1337n);
    local.push(l);
    if (sequence.length === 0) sequence.push(l);
    else {
      const pair = Buffer.alloc(16);
      pair.writeBigUInt64LE(sequence.at(-1)!, 0);
      pair.writeBigUInt64LE(l, 8);
      sequence.push(xxh3.xxh64(pair, 1337n));
    }
  }
  return { local, sequence };
}

describe("router prompt hashing equals the plain definition", () => {
  const rng = seededRng(7);
  // Block sizes alternate between calls so the scratch arrays are resized and reused.
  const cases = [16, 4, 64, 16, 1, 3, 16, 64].map((bs, i) => {
    const length = Math.floor(rng() * 40 * bs) + (i === 0 ? 4096 : 0);
    // Token ids over the whole uint32 range, including its top (the LE byte order matters there).
    const tokens = Array.from({ length }, () => (rng() < 0.1 ? 0xffffffff - Math.floor(rng() * 8) : Math.floor(rng() * 2 ** 32)));
    return { bs, tokens };
  });
  for (const { bs, tokens } of cases) {
    it(`block size ${bs}, ${tokens.length} tokens`, () => {
      const expected = referenceHashes(tokens, bs);
      expect(hashBlocks(tokens, bs)).to.deep.equal(expected);
      expect(routeRequestBlocks(tokens, bs).hashes).to.deep.equal(expected);
      // The worker's path: one block at a time, chained.
      let parent: SequenceHash | undefined;
      expected.local.forEach((l, b) => {
        const local: LocalBlockHash = localBlockHash(tokens, b * bs, (b + 1) * bs);
        expect(local).to.equal(l);
        parent = chainSequenceHash(parent, local);
        expect(parent).to.equal(expected.sequence[b]);
      });
    });
  }
});
