import type { Rng } from "./rng.js";

/** Costs closer than this are a tie (ARCHITECTURE.md, Router decision). */
export const COST_EPSILON = 1e-5;

/** A worker the KV policy may choose. */
export interface Pickable {
  readonly workerId: string;
  readonly cost: number;
  readonly indexedBlocks: number;
}

/** Temperature 0: lowest cost within 1e-5; ties to fewest indexed blocks, then worker id. */
export function pickLowestCost(workers: readonly Pickable[]): Pickable {
  let minCost = Infinity;
  for (const w of workers) minCost = Math.min(minCost, w.cost);
  let best: Pickable | undefined;
  for (const w of workers) {
    if (w.cost - minCost > COST_EPSILON) continue;
    if (
      best === undefined ||
      w.indexedBlocks < best.indexedBlocks ||
      (w.indexedBlocks === best.indexedBlocks && w.workerId < best.workerId)
    ) {
      best = w;
    }
  }
  return best!;
}

/**
 * {@link pickLowestCost} over candidate indices, without building a Pickable per worker (a
 * route runs it over every free worker): `free` indexes `candidates`, `costOf(i)` is candidate
 * i's cost. Returns the chosen index; the same worker as pickLowestCost for the same costs.
 */
export function lowestCostIndex(
  free: readonly number[], candidates: readonly { readonly workerId: string; readonly indexedBlocks: number }[], costOf: (i: number) => number,
): number {
  let minCost = Infinity;
  for (const i of free) minCost = Math.min(minCost, costOf(i));
  let best = -1;
  for (const i of free) {
    if (costOf(i) - minCost > COST_EPSILON) continue;
    const w = candidates[i];
    if (best < 0 || w.indexedBlocks < candidates[best].indexedBlocks || (w.indexedBlocks === candidates[best].indexedBlocks && w.workerId < candidates[best].workerId)) best = i;
  }
  return best;
}

/**
 * p ∝ exp(−(c − c_min) / ((c_max − c_min) · T)); all costs equal → uniform. Same order as
 * `costs`.
 */
export function softmaxProbabilities(costs: readonly number[], temperature: number): number[] {
  const min = Math.min(...costs);
  const range = Math.max(...costs) - min;
  if (range <= 0) return costs.map(() => 1 / costs.length);
  const weights = costs.map((c) => Math.exp(-(c - min) / (range * temperature)));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** Temperature > 0: draw by softmax over the normalised costs, in worker-id order. */
export function pickSoftmax(workers: readonly Pickable[], temperature: number, rng: Rng): Pickable {
  // Sorting makes a seeded draw independent of the order candidates arrived in.
  const ordered = [...workers].sort((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0));
  const probabilities = softmaxProbabilities(
    ordered.map((w) => w.cost),
    temperature,
  );
  let draw = rng();
  for (let i = 0; i < ordered.length; i++) {
    draw -= probabilities[i];
    if (draw < 0) return ordered[i];
  }
  return ordered[ordered.length - 1];
}
