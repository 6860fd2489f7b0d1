/** What the load generator measures of one request. */

/** One request's outcome. Times are ms on the run's clock (0 = run start). */
export interface RequestRecord {
  readonly id: string;
  /** When it was sent. */
  readonly startMs: number;
  /** Prompt tokens sent. */
  readonly promptTokens: number;
  /** max_tokens asked for. */
  readonly outputLen: number;
  /** Output tokens received (usage.completion_tokens, else the count of streamed chunks). */
  readonly outputTokens: number;
  /** usage.prompt_tokens_details.cached_tokens (0 when absent). */
  readonly cachedTokens: number;
  /** Time to the first streamed token; absent when none came. */
  readonly ttftMs?: number;
  /** Gaps between consecutive streamed token chunks. */
  readonly itlMs: readonly number[];
  /** Send to the end of the stream (or to the failure). */
  readonly e2eMs: number;
  /** The error kind (`http_503:overloaded`, `stream:internal`, `network:ECONNRESET`); absent on success. */
  readonly error?: string;
  /** The serving worker from the last chunk's `kvmesh` extension, when sent. */
  readonly workerId?: string;
  /** The routing record (last chunk's `kvmesh` object): prompt tokens predicted cached on the chosen worker. */
  readonly predictedCachedTokens?: number;
  /** The routing record: predicted time to first token, ms (router mode ttft only). */
  readonly predictedTtftMs?: number;
  /** The routing record: the longest prefix cached on any worker by the router's index, tokens. */
  readonly indexAvailableTokens?: number;
  /** This request's available reuse, tokens (bench: the workload's; sim: the simulator's sense). */
  readonly availableTokens?: number;
}
