import { expect } from "chai";
import { cacheableBlockCount, hashBlocks, localBlockHash, requestBlockCount } from "#common/kv-hash.js";
import { modelSlug } from "#common/model-slug.js";

describe("block hashing (ARCHITECTURE.md test vectors)", () => {
  const tokens = Array.from({ length: 12 }, (_, i) => i + 1);

  it("reproduces the local and sequence hashes of tokens 1..12 at block size 4", () => {
    const hashes = hashBlocks(tokens, 4);
    expect(hashes.local).to.deep.equal([14643705804678351452n, 16777012769546811212n, 483935686894639516n]);
    expect(hashes.sequence).to.deep.equal([14643705804678351452n, 4945711292740353085n, 12583592247330656132n]);
  });

  it("hashes only full blocks: a 13th token adds no block", () => {
    expect(hashBlocks([...tokens, 13], 4)).to.deep.equal(hashBlocks(tokens, 4));
  });

  it("extends a previous result without changing it", () => {
    const first = hashBlocks(tokens.slice(0, 8), 4);
    expect(hashBlocks(tokens, 4, first)).to.deep.equal(hashBlocks(tokens, 4));
  });

  it("hashes token ids as uint32, so large ids differ from their low bytes", () => {
    expect(localBlockHash([256])).to.not.equal(localBlockHash([0]));
  });

  it("counts the partial last block for load accounting", () => {
    expect([requestBlockCount(12, 4), requestBlockCount(13, 4), requestBlockCount(1, 4)]).to.deep.equal([3, 4, 1]);
  });

  it("caps cacheable blocks so the block holding the last prompt token is computed", () => {
    // 0 and 1 tokens, exactly one block, one past it, exactly two blocks, one past that.
    const counts = [0, 1, 4, 5, 8, 9].map((n) => cacheableBlockCount(n, 4));
    expect(counts).to.deep.equal([0, 0, 0, 1, 1, 2]);
  });
});

describe("modelSlug", () => {
  const cases: Array<[string, string]> = [
    ["onnx-community/Qwen3-0.6B-ONNX", "onnx-community_qwen3-0_6b-onnx"],
    ["stories260K", "stories260k"],
    ["kvmesh-tiny-random", "kvmesh-tiny-random"],
    ["a b.c*d>e", "a_b_c_d_e"],
  ];
  for (const [name, slug] of cases) it(`${name} → ${slug}`, () => expect(modelSlug(name)).to.equal(slug));
});
