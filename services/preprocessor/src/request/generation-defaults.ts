/**
 * Sampling defaults from a model's generation_config.json, applied field by field where the
 * request leaves a parameter unset (vLLM's `--generation-config auto`). `do_sample: false`
 * means greedy in Hugging Face, so it makes the default temperature 0.
 */
import type { SamplingParams } from "#contracts/gen/kvmesh/v1/common.js";

/** The generation_config.json values the preprocessor applies. */
export interface GenerationDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  /** Caps the default max_tokens (context length − prompt length). */
  maxNewTokens?: number;
}

function numberField(config: Record<string, unknown>, key: string): number | undefined {
  const value = config[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The defaults in a generation_config.json text; empty or malformed text gives none. */
export function parseGenerationConfig(json: string): GenerationDefaults {
  let config: Record<string, unknown>;
  try {
    const parsed: unknown = json.trim() === "" ? {} : JSON.parse(json);
    config = parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
  const greedy = config.do_sample === false;
  const maxNew = numberField(config, "max_new_tokens");
  return {
    temperature: greedy ? 0 : numberField(config, "temperature"),
    topP: numberField(config, "top_p"),
    topK: numberField(config, "top_k"),
    repetitionPenalty: numberField(config, "repetition_penalty"),
    maxNewTokens: maxNew !== undefined && maxNew > 0 ? Math.floor(maxNew) : undefined,
  };
}

/** `sampling` with every unset field that has a default filled in (the request wins). */
export function applySamplingDefaults(sampling: SamplingParams | undefined, defaults: GenerationDefaults): SamplingParams {
  const s: SamplingParams = { ...sampling };
  s.temperature ??= defaults.temperature;
  s.topP ??= defaults.topP;
  s.topK ??= defaults.topK;
  s.repetitionPenalty ??= defaults.repetitionPenalty;
  // Leave absent keys absent rather than explicitly undefined (cleaner logs and equality).
  for (const key of Object.keys(s) as Array<keyof SamplingParams>) if (s[key] === undefined) delete s[key];
  return s;
}
