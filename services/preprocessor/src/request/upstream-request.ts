/**
 * The token-level request sent to the router for one PreprocessRequest: the tokenized prompt,
 * sampling with generation_config defaults, and stop conditions with max_tokens resolved
 * against the context length.
 */
import { hashBlocks } from "#common/kv-hash.js";
import type { GenerateRequest, PromptBlockHashes } from "#contracts/gen/kvmesh/v1/common.js";
import type { PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { ModelAssets } from "../model-assets.js";
import { echoTokensFor } from "./echo-tokens.js";
import { applySamplingDefaults } from "./generation-defaults.js";
import { resolveMaxTokens } from "./max-tokens.js";
import { encodePrompt } from "./encode-prompt.js";

/** The upstream request and what the output side needs to know about the prompt. */
export interface PreparedGenerate {
  upstream: GenerateRequest;
  promptTokenIds: number[];
}

/** Builds the router request; throws the typed errors of the error table on bad input. `signal` abandons the prompt's encoding. */
export async function prepareGenerate(request: PreprocessRequest, requestId: string, assets: ModelAssets, signal?: AbortSignal): Promise<PreparedGenerate> {
  const { tokenIds } = await encodePrompt(request.prompt, assets, signal);
  const maxTokens = resolveMaxTokens({
    promptTokens: tokenIds.length,
    contextLength: assets.contextLength,
    requested: request.stop?.maxTokens,
    defaultCap: assets.defaults.maxNewTokens,
    promptParam: request.prompt?.$case === "chat" ? "messages" : "prompt",
  });
  const stop = { stopTokenIds: [], ignoreEos: false, ...request.stop, maxTokens };
  if (stop.maxTokens === undefined) delete stop.maxTokens;
  return {
    upstream: {
      requestId,
      model: request.model,
      tokenIds,
      sampling: applySamplingDefaults(request.sampling, assets.defaults),
      stop,
      echo: echoTokensFor(request, assets),
      blockHashes: promptBlockHashes(tokenIds, assets.blockSize),
    },
    promptTokenIds: tokenIds,
  };
}

/**
 * The prompt's block hashes for the router (hashed here once, not on every routing decision);
 * undefined when the card names no block size.
 */
export function promptBlockHashes(tokenIds: readonly number[], blockSize: number): PromptBlockHashes | undefined {
  if (!(blockSize > 0)) return undefined;
  const { local, sequence } = hashBlocks(tokenIds, blockSize);
  return { blockSize, localHashes: local, sequenceHashes: sequence };
}
