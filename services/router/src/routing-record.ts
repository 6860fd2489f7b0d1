/**
 * The routing record the router stamps on a stream (docs/routing-record.md): the decision's
 * predictions for the serving worker beside what that worker delivered.
 */
import type { RoutingRecord } from "#contracts/gen/kvmesh/v1/common.js";
import type { RoutePlan } from "./decider.js";

/**
 * The record of `plan`, with the worker's delivered cached tokens (its first message's count,
 * 0 before it). Counts are capped at the caller's prompt: after a migration the plan routed the
 * prompt plus the tokens generated so far, which the caller never sent.
 */
export function routingRecord(plan: RoutePlan, deliveredCachedTokens: number, callerPromptTokens: number): RoutingRecord {
  const cap = (n: number): number => Math.max(0, Math.min(n, callerPromptTokens));
  const { prediction } = plan.decision;
  return {
    predictedCachedTokens: cap(prediction.cachedTokens),
    ...(prediction.ttftMs === undefined ? {} : { predictedTtftMs: prediction.ttftMs }),
    availableCachedTokens: cap(prediction.availableCachedTokens),
    cachedTokens: cap(deliveredCachedTokens),
  };
}
