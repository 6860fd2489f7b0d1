/**
 * The prompt pool's worker-thread entry (piscina loads this file): encodes one prompt with the
 * same `promptTokens` as the inline path. Each thread builds a model's tokenizer and chat
 * renderer once, on the first task naming its key, and keeps the few most recent models.
 */
import { promptAssetsFrom } from "../prompt-assets.js";
import type { PromptAssets, PromptModelData } from "../prompt-assets.js";
import { promptTokens } from "../request/prompt-tokens.js";
import { toTaskError } from "./prompt-task.js";
import type { PooledModel, PromptTask, PromptTaskResult } from "./prompt-task.js";

/** Models kept per thread (card versions of replaced models age out). */
const CACHED_MODELS = 4;

const cache = new Map<string, PromptAssets>();

function assetsOf(model: PooledModel): PromptAssets {
  let assets = cache.get(model.key);
  if (assets) {
    // Most recently used last: Map keeps insertion order.
    cache.delete(model.key);
  } else {
    // TextDecoder refuses shared memory: copy the bytes out once.
    const data = JSON.parse(Buffer.from(new Uint8Array(model.data)).toString("utf8")) as PromptModelData;
    assets = promptAssetsFrom(data);
  }
  cache.set(model.key, assets);
  while (cache.size > CACHED_MODELS) cache.delete(cache.keys().next().value!);
  return assets;
}

/** The piscina task handler (named export: the pool runs it with `name: "encodePromptTask"`). */
export function encodePromptTask(task: PromptTask): PromptTaskResult {
  try {
    const tokens = promptTokens(task.prompt, assetsOf(task.model), task.addSpecialTokens);
    return { ok: true, tokenIds: Uint32Array.from(tokens.tokenIds), rendered: tokens.rendered };
  } catch (err) {
    return { ok: false, error: toTaskError(err) };
  }
}
