/** The seam the decider calls as its own decisions move through their life. */
import type { RoutePlan } from "../decider.js";

/** What a replica's own decisions report, for sharing with peer replicas. */
export interface ReservationHook {
  /** The plan was admitted (its load is now counted). */
  admitted(requestId: string, plan: RoutePlan): void;
  /** Its first token came back: its prefill is done. */
  firstToken(requestId: string): void;
  /** It ended, failed or was cancelled: its load is freed. */
  finished(requestId: string): void;
}
