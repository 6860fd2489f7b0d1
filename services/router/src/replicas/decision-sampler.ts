/** Which of a replica's decisions are published for agreement: 1 in N, at most M a second. */
import type { DecisionSample } from "#contracts/gen/kvmesh/v1/router.js";
import type { RoutePlan } from "../decider.js";

/** Settings of a {@link DecisionSampler}. */
export interface DecisionSamplerOptions {
  /** Sample one decision in this many (≥ 1); 16 by default. */
  readonly every?: number;
  /** At most this many samples per second of the clock (bounds the traffic); 32 by default. */
  readonly maxPerSecond?: number;
  /** Milliseconds. */
  readonly now: () => number;
}

/**
 * Deterministic 1-in-N sampling (a counter, not a coin: the share is exact and tests need no
 * seed), capped per one-second window so a burst of decisions cannot flood the peers.
 */
export class DecisionSampler {
  private readonly every: number;
  private readonly maxPerSecond: number;
  private seen = 0;
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;

  constructor(private readonly options: DecisionSamplerOptions) {
    this.every = Math.max(1, Math.floor(options.every ?? 16));
    this.maxPerSecond = Math.max(0, Math.floor(options.maxPerSecond ?? 32));
  }

  /** The sample of this decision, or undefined when it is not sampled. */
  sample(plan: RoutePlan): DecisionSample | undefined {
    if (this.seen++ % this.every !== 0) return undefined;
    const now = this.options.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.maxPerSecond) return undefined;
    this.inWindow++;
    const { request } = plan;
    return {
      model: plan.model,
      isl: request.isl,
      blockSize: request.blockSize,
      localHashes: request.hashes.local,
      sequenceHashes: request.hashes.sequence,
      workerId: plan.decision.workerId,
    };
  }
}
