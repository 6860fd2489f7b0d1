// Shared builders of the routing-policy unit tests: candidates and inputs as plain data.
import type { WorkerCandidate } from "../../../services/router/src/scheduling/cost.js";
import type { SelectionInput } from "../../../services/router/src/scheduling/selector.js";

/** A zero-load, free candidate with `extra` on top. */
export function candidate(workerId: string, extra: Partial<WorkerCandidate> = {}): WorkerCandidate {
  return {
    workerId, overlapBlocks: 0, activePrefillTokens: 0, activeBlocks: 0, newBlocks: 0, indexedBlocks: 0, busy: false,
    requestsInFlight: 0, waiting: 0, kvUsage: 0, ...extra,
  };
}

/** A request of `isl` tokens in blocks of 16 (10 blocks at 160). */
export function request(candidates: WorkerCandidate[], isl = 160, extra: Partial<SelectionInput> = {}): SelectionInput {
  return { isl, blockSize: 16, overlapWeight: 1, requestBlocks: Math.ceil(isl / 16), candidates, ...extra };
}
