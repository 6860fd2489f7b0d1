/** `least-loaded`: fewest requests in flight by the router's own count (SGLang's and many proxies' fallback). */
import { lowestScore } from "./policy.js";
import type { RoutingPolicy } from "./policy.js";

/** The `least-loaded` policy; ties as every lowest-wins policy (policy.ts). */
export function createLeastLoaded(): RoutingPolicy {
  return {
    score: (input) => input.candidates.map((c) => c.requestsInFlight),
    pick: (input, free, terms) => lowestScore(input, free, terms.map((t) => t.cost)),
  };
}
