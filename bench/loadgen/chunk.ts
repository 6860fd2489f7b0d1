/**
 * What one OpenAI completion stream chunk means to the load generator: a token arrived, the
 * usage, the serving worker, or a mid-stream error.
 */

/** The parts of a chunk the load generator reads. */
export interface ChunkInfo {
  /** The chunk carries a choice, i.e. output (one or more tokens' text). */
  readonly token: boolean;
  readonly completionTokens?: number;
  readonly promptTokens?: number;
  readonly cachedTokens?: number;
  readonly workerId?: string;
  /** The routing record of the last chunk's `kvmesh` object (docs/routing-record.md), when sent. */
  readonly routing?: RoutingInfo;
  /** `code` (else `type`) of a `{"error": {...}}` chunk. */
  readonly error?: string;
}

/** The routing record's predictions as the load generator keeps them. */
export interface RoutingInfo {
  readonly predictedCachedTokens: number;
  readonly indexAvailableTokens: number;
  readonly predictedTtftMs?: number;
}

interface KvmeshJson {
  worker_id?: string;
  predicted_cached_tokens?: number | null;
  predicted_ttft_ms?: number | null;
  available_cached_tokens?: number | null;
}

interface ChunkJson {
  choices?: unknown[];
  usage?: { completion_tokens?: number; prompt_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null };
  kvmesh?: KvmeshJson;
  error?: { code?: string | null; type?: string };
}

/** Reads one `data:` payload (not `[DONE]`). Unparseable JSON is reported as an error kind. */
export function readChunk(data: string): ChunkInfo {
  let json: ChunkJson;
  try {
    json = JSON.parse(data) as ChunkJson;
  } catch {
    return { token: false, error: "bad_json" };
  }
  if (json.error) return { token: false, error: json.error.code ?? json.error.type ?? "unknown" };
  return {
    token: Array.isArray(json.choices) && json.choices.length > 0,
    completionTokens: json.usage?.completion_tokens,
    promptTokens: json.usage?.prompt_tokens,
    cachedTokens: json.usage?.prompt_tokens_details?.cached_tokens,
    workerId: json.kvmesh?.worker_id,
    ...routingOf(json.kvmesh),
  };
}

/** The record when the object has one (a server without it sends none: the split is then n/a). */
function routingOf(kvmesh: KvmeshJson | undefined): { routing?: RoutingInfo } {
  const predicted = kvmesh?.predicted_cached_tokens;
  const available = kvmesh?.available_cached_tokens;
  if (typeof predicted !== "number" || typeof available !== "number") return {};
  const ttft = kvmesh?.predicted_ttft_ms;
  return { routing: { predictedCachedTokens: predicted, indexAvailableTokens: available, ...(typeof ttft === "number" ? { predictedTtftMs: ttft } : {}) } };
}

/** The error kind of a non-200 response body: `http_<status>:<code or type>`. */
export function httpErrorKind(status: number, body: string): string {
  try {
    const json = JSON.parse(body) as { error?: { code?: string | null; type?: string } };
    const what = json.error?.code ?? json.error?.type;
    return what ? `http_${status}:${what}` : `http_${status}`;
  } catch {
    return `http_${status}`;
  }
}
