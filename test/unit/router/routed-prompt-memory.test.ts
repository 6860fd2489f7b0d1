// cache-aware's tree keeps no heap object per block (routed-prompt-nodes.ts): bench:router's
// long GC pauses came from the earlier tree's node, Map and entry objects per block, which
// every young collection copied while the tree grew (~360 heap bytes a block). Its blocks now
// live in typed-array columns, outside the collected heap.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect } from "chai";
import { RoutedPromptTree } from "../../../services/router/src/scheduling/routed-prompt-tree.js";

describe("cache-aware's tree in memory", () => {
  it("100,000 blocks take < 8 bytes of V8 heap each (no object per block) and < 256 bytes of columns", function () {
    this.timeout(20_000);
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    // 400 prompts of 250 blocks each, 64 workers; hashes above 2^63 (heap BigInts, as real ones).
    const prompts = Array.from({ length: 400 }, (_, p) => Array.from({ length: 250 }, (_, d) => (1n << 63n) + BigInt(p * 1000 + d) * 0x9e3779b97f4a7c15n % (1n << 63n)));
    gc();
    const before = process.memoryUsage();
    const tree = new RoutedPromptTree(() => 0, 1 << 22);
    prompts.forEach((p, i) => tree.insert(p, `worker-${i % 64}`));
    gc();
    const after = process.memoryUsage();
    expect([tree.blocks, tree.size]).to.deep.equal([100_000, 100_000]);
    expect((after.heapUsed - before.heapUsed) / tree.size).to.be.below(8);
    expect((after.arrayBuffers - before.arrayBuffers) / tree.size).to.be.below(256);
  });
});
