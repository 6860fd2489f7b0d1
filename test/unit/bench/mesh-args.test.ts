// The `kvmesh up` flags a compare gives each policy's mesh, from the compare's own parsed defaults.
import { expect } from "chai";
import { parseConfig } from "#common/config/index.js";
import { meshArgs } from "../../../bench/compare/mesh-args.js";
import { COMPARE_FLAGS, COMPARE_SHARED_PREFIX_KV_BLOCKS, RUN_FLAGS } from "../../../cli/bench-flags.js";

const argsFor = (argv: string[], policy = "kv"): string[] => {
  const config = parseConfig(COMPARE_FLAGS, argv, {});
  return meshArgs({ ...config, policy, sharedPrefixKvBlocks: COMPARE_SHARED_PREFIX_KV_BLOCKS, discoveryDir: "/tmp/reg", upArgs: ["--overlap-weight", "2"] });
};
const valueOf = (args: string[], flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
};

describe("bench compare mesh args", () => {
  it("the default compare bounds each worker's cache and keeps its own default workload", () => {
    const config = parseConfig(COMPARE_FLAGS, [], {});
    expect(config).to.include({ workload: "shared-prefix", prefixGroups: 8, prefixRatio: 0.9, inputLen: 8192, workers: 8 });
    const args = argsFor([]);
    expect(valueOf(args, "--num-kv-blocks")).to.equal(String(COMPARE_SHARED_PREFIX_KV_BLOCKS));
    expect(valueOf(args, "--router-mode")).to.equal("kv");
    expect(valueOf(args, "--engine")).to.equal("mocker");
    expect(valueOf(args, "--discovery-dir")).to.equal("/tmp/reg");
    expect(args.slice(-2)).to.deep.equal(["--overlap-weight", "2"]);
  });

  it("multi-turn and trace keep the worker's own cache size, and a given --num-kv-blocks always wins", () => {
    expect(argsFor(["--workload", "trace"])).to.not.include("--num-kv-blocks");
    expect(argsFor(["--workload", "multi-turn"])).to.not.include("--num-kv-blocks");
    expect(valueOf(argsFor(["--workload", "trace", "--num-kv-blocks", "4096"]), "--num-kv-blocks")).to.equal("4096");
    expect(valueOf(argsFor(["--num-kv-blocks", "64"], "random"), "--num-kv-blocks")).to.equal("64");
  });

  it("plain `kvmesh bench` keeps the small defaults of the shared flags", () => {
    expect(parseConfig(RUN_FLAGS, [], {})).to.include({ inputLen: 512, prefixRatio: 0.5, concurrency: undefined });
  });
});
