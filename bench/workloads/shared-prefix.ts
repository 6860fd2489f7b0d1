/**
 * Shared-prefix workload: G groups, each with its own prefix (a system prompt, a document),
 * and requests that are a group's prefix followed by tokens of their own. The prefix is
 * `prefixRatio` of the mean input length, so a cache that keeps each group's prefix can skip
 * about that share of all prompt tokens.
 */
import { seededRandom } from "#common/seeded-random.js";
import { drawLength, randomTokens } from "./rng.js";
import type { BenchRequest, RequestChain, TokenRange, Workload } from "./types.js";

/** Knobs of {@link sharedPrefixWorkload}. */
export interface SharedPrefixOptions {
  readonly numRequests: number;
  readonly prefixGroups: number;
  /** Share of the mean input length that is the group prefix, in [0, 1]. */
  readonly prefixRatio: number;
  readonly inputLen: number;
  readonly inputLenStd: number;
  readonly outputLen: number;
  readonly outputLenStd: number;
  readonly seed: number;
  readonly tokens: TokenRange;
}

/** The workload: one single-request chain per request, groups drawn uniformly. */
export function sharedPrefixWorkload(options: SharedPrefixOptions): Workload {
  const { numRequests, prefixGroups, prefixRatio, inputLen, inputLenStd, outputLen, outputLenStd, seed, tokens } = options;
  if (prefixGroups < 1) throw new RangeError("prefix groups must be at least 1");
  if (prefixRatio < 0 || prefixRatio > 1) throw new RangeError("prefix ratio must be within [0, 1]");
  const rng = seededRandom(seed);
  // The prefix never takes the whole prompt: every request keeps at least one token of its own.
  const prefixLen = Math.min(Math.round(prefixRatio * inputLen), Math.max(0, inputLen - 1));
  const prefixes = Array.from({ length: prefixGroups }, () => randomTokens(rng, prefixLen, tokens));
  const chains: RequestChain[] = [];
  for (let i = 0; i < numRequests; i++) {
    const group = Math.floor(rng() * prefixGroups);
    const promptLen = drawLength(rng, inputLen, inputLenStd, prefixLen + 1);
    const suffix = randomTokens(rng, promptLen - prefixLen, tokens);
    const request: BenchRequest = {
      id: `g${group}-r${i}`,
      promptLen,
      prompt: () => [...prefixes[group], ...suffix],
      outputLen: drawLength(rng, outputLen, outputLenStd),
      thinkMs: 0,
    };
    chains.push({ requests: [request] });
  }
  return {
    name: "shared-prefix",
    params: { numRequests, prefixGroups, prefixRatio, inputLen, inputLenStd, outputLen, outputLenStd, seed, prefixLen },
    chains,
  };
}
