/** `--router-mode` names → policies (`direct` is a pin the decider enforces, decided as `kv`). */
import { createCacheAware } from "./cache-aware.js";
import type { CacheAwareOptions } from "./cache-aware.js";
import { lowestCostIndex, pickSoftmax } from "./kv-pick.js";
import { createLeastLoaded } from "./least-loaded.js";
import { createLmetric } from "./lmetric.js";
import type { RoutingPolicy } from "./policy.js";
import { createPrefixLoadScorer } from "./prefix-load-scorer.js";
import type { Rng } from "./rng.js";
import { createTokenLoad } from "./token-load.js";
import { createTtft } from "./ttft.js";

/** Routing policies that choose among workers. */
export const SELECTION_POLICIES = ["ttft", "kv", "token-load", "lmetric", "prefix-load-scorer", "cache-aware", "least-loaded", "round-robin", "random"] as const;

/** One of {@link SELECTION_POLICIES}. */
export type SelectionPolicy = (typeof SELECTION_POLICIES)[number];

/** Options of the policies; each reads what it needs. */
export interface PolicyOptions {
  /** --router-temperature (kv); 0 is deterministic. */
  readonly temperature?: number;
  /** random, kv with temperature > 0, prefix-load-scorer's tie-break (default Math.random). */
  readonly rng?: Rng;
  /** token-load: a worker's peak prefill throughput, tokens/s (τ = this × 14 s). */
  readonly peakPrefillTokensPerS?: number;
  /** token-load: τ in seconds of peak prefill (default llm-d's 14; `kvmesh sim --token-load-tau-s`). */
  readonly tokenLoadStickySeconds?: number;
  /** ttft: the workers' step budget (--max-batched-tokens; default the mocker's 2048). */
  readonly chunkTokens?: number;
  /** ttft's calibration clock (ms; default performance.now). */
  readonly now?: () => number;
  /** cache-aware: its clock (ms) and tree size cap. */
  readonly cacheAware?: CacheAwareOptions;
}

/** The policy called `name`. */
export function createPolicy(name: SelectionPolicy, options: PolicyOptions = {}): RoutingPolicy {
  const rng = options.rng ?? Math.random;
  switch (name) {
    case "kv": {
      const temperature = options.temperature ?? 0;
      return {
        pick: (input, free, terms) => {
          if (!(temperature > 0)) return lowestCostIndex(free, input.candidates, (i) => terms[i].cost);
          const pickable = free.map((i) => ({ workerId: terms[i].workerId, cost: terms[i].cost, indexedBlocks: input.candidates[i].indexedBlocks }));
          const chosen = pickSoftmax(pickable, temperature, rng);
          return free.find((i) => terms[i].workerId === chosen.workerId)!;
        },
      };
    }
    case "ttft":
      return createTtft({ chunkTokens: options.chunkTokens, now: options.now });
    case "token-load":
      return createTokenLoad(options.peakPrefillTokensPerS, options.tokenLoadStickySeconds);
    case "lmetric":
      return createLmetric();
    case "prefix-load-scorer":
      return createPrefixLoadScorer(rng);
    case "cache-aware":
      return createCacheAware(options.cacheAware);
    case "least-loaded":
      return createLeastLoaded();
    case "random":
      return { pick: (_input, free) => free[Math.floor(rng() * free.length)] };
    case "round-robin":
      return roundRobin();
  }
}

/** Worker-id order, so the rotation does not depend on the order discovery lists them. */
function roundRobin(): RoutingPolicy {
  let next = 0;
  return {
    pick: (input, free) => {
      const ordered = [...free].sort((a, b) => {
        const x = input.candidates[a].workerId;
        const y = input.candidates[b].workerId;
        return x < y ? -1 : x > y ? 1 : 0;
      });
      return ordered[next++ % ordered.length];
    },
  };
}
