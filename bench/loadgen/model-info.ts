/** What the load generator needs to know of the served model, from GET /v1/models. */

/** The model to send to and its limits. */
export interface ModelInfo {
  readonly id: string;
  /** `max_model_len` when the server lists it. */
  readonly maxModelLen?: number;
  /** `vocab_size` when the server lists it (kvmesh's frontend does not; --vocab-size then). */
  readonly vocabSize?: number;
}

interface ModelsJson {
  data?: Array<{ id?: string; max_model_len?: number; vocab_size?: number }>;
}

/** Picks `wanted` (or the first model) out of a /v1/models body. */
export function pickModel(json: unknown, wanted?: string): ModelInfo {
  const data = (json as ModelsJson).data ?? [];
  const entry = wanted === undefined ? data[0] : data.find((m) => m.id === wanted);
  if (!entry?.id) {
    const ids = data.map((m) => m.id).join(", ") || "none";
    throw new Error(wanted === undefined ? "the server lists no model" : `model "${wanted}" is not served (served: ${ids})`);
  }
  const num = (v: unknown): number | undefined => (typeof v === "number" && v > 0 ? v : undefined);
  return { id: entry.id, maxModelLen: num(entry.max_model_len), vocabSize: num(entry.vocab_size) };
}

/** GET `${url}/v1/models` and {@link pickModel}. */
export async function fetchModelInfo(url: string, wanted?: string): Promise<ModelInfo> {
  const res = await fetch(`${url}/v1/models`);
  if (!res.ok) throw new Error(`GET ${url}/v1/models: ${res.status}`);
  return pickModel(await res.json(), wanted);
}
