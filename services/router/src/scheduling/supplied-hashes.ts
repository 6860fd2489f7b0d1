/**
 * Block hashes a caller supplied with its prompt (GenerateRequest / RouteRequest
 * `block_hashes`): the preprocessor hashes each prompt once, so the router does not hash it
 * again on every decision. A router called directly, without them, hashes the prompt itself
 * (route-plan.ts); so does one whose model has another block size.
 */
import { InvalidArgumentError } from "#common/errors.js";
import { fullBlockCount, requestBlockCount } from "#common/kv-hash.js";
import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import type { RouteRequestBlocks } from "./route-plan.js";

/** The proto's PromptBlockHashes (structurally: the generated message is passed straight in). */
export interface SuppliedBlockHashes {
  readonly blockSize: number;
  readonly localHashes: readonly bigint[];
  readonly sequenceHashes: readonly bigint[];
}

const PARAM = "block_hashes";

/**
 * The request's blocks from `supplied`, or undefined when the router must hash the prompt
 * (nothing supplied, or hashed with another block size than the model's `blockSize`).
 * Throws InvalidArgumentError (param block_hashes) for a set that cannot be the hashes of a
 * prompt of `tokenCount` tokens: block size 0, local and sequence counts that differ, a count
 * other than its full blocks, or a first sequence hash that is not the first local hash.
 * The hashes themselves are trusted: a caller that lies only misroutes its own request.
 */
export function suppliedRequestBlocks(tokenCount: number, blockSize: number, supplied: SuppliedBlockHashes | undefined): RouteRequestBlocks | undefined {
  if (supplied === undefined) return undefined;
  const { localHashes, sequenceHashes } = supplied;
  if (!(supplied.blockSize > 0)) throw new InvalidArgumentError("block_hashes.block_size must be greater than 0", { param: PARAM });
  if (localHashes.length !== sequenceHashes.length) {
    throw new InvalidArgumentError(`block_hashes has ${localHashes.length} local and ${sequenceHashes.length} sequence hashes; they must match`, { param: PARAM });
  }
  const expected = fullBlockCount(tokenCount, supplied.blockSize);
  if (localHashes.length !== expected) {
    throw new InvalidArgumentError(`block_hashes has ${localHashes.length} blocks; ${tokenCount} tokens in blocks of ${supplied.blockSize} have ${expected} full blocks`, { param: PARAM });
  }
  if (expected > 0 && localHashes[0] !== sequenceHashes[0]) {
    throw new InvalidArgumentError("block_hashes: the first sequence hash must equal the first local hash", { param: PARAM });
  }
  if (supplied.blockSize !== blockSize) return undefined;
  return {
    isl: tokenCount,
    blockSize,
    // Not copied (two copies were a seventh of a decision's garbage): the plan and the load
    // accounting only read them, and nothing writes into a decoded message's arrays.
    hashes: { local: localHashes as LocalBlockHash[], sequence: sequenceHashes as SequenceHash[] },
    requestBlocks: requestBlockCount(tokenCount, blockSize),
  };
}
