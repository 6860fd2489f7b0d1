/**
 * The soak's requests: token-id prompts of `promptTokens` tokens, each the shared prefix of
 * one of `prefixes` groups (3/4 of the prompt) plus a unique tail, `outputTokens` out,
 * streamed; and the open-loop arrival times (seeded Poisson).
 */
import { seededRandom } from "#common/seeded-random.js";
import { exponentialGapMs } from "../workloads/rng.js";
import { completionBody } from "../loadgen/completion-client.js";

/** Shape of the workload. */
export interface SoakWorkload {
  readonly model: string;
  readonly promptTokens: number;
  readonly prefixes: number;
  readonly outputTokens: number;
  readonly seed: number;
}

/** Token ids stay clear of the tiny models' special ids and below their vocab. */
const FIRST_ID = 10;
const ID_SPAN = 240;

/** Makes request bodies: `next()` is the body of the next request. */
export function bodyMaker(w: SoakWorkload): { next(): string } {
  const rng = seededRandom(w.seed);
  const id = (): number => FIRST_ID + Math.floor(rng() * ID_SPAN);
  const prefixLength = Math.floor((w.promptTokens * 3) / 4);
  const prefixes = Array.from({ length: w.prefixes }, () => Array.from({ length: prefixLength }, id));
  return {
    next: () => {
      const prefix = prefixes[Math.floor(rng() * prefixes.length)];
      const tail = Array.from({ length: w.promptTokens - prefixLength }, id);
      return completionBody(w.model, [...prefix, ...tail], w.outputTokens);
    },
  };
}

/** Gaps (ms) of a seeded Poisson process of `ratePerS` arrivals a second. */
export function poissonGaps(ratePerS: number, seed: number): () => number {
  const rng = seededRandom(seed);
  return () => exponentialGapMs(rng, ratePerS);
}
