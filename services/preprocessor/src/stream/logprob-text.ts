/** Token-level logprobs (ids) as the text logprobs of PreprocessResponse (token text and bytes). */
import type { TokenLogprob } from "#contracts/gen/kvmesh/v1/common.js";
import type { TextLogprob } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { TokenPiece } from "../tokenizer/model-tokenizer.js";

/** Anything that spells one token (the model tokenizer). */
export interface PieceSource {
  piece(id: number): TokenPiece;
}

/** The text form of one token's logprob and its top alternatives. */
export function textLogprob(source: PieceSource, logprob: TokenLogprob): TextLogprob {
  const chosen = source.piece(logprob.tokenId);
  return {
    token: chosen.text,
    logprob: logprob.logprob,
    tokenBytes: Buffer.from(chosen.bytes),
    top: logprob.top.map((alt) => {
      const piece = source.piece(alt.tokenId);
      return { token: piece.text, logprob: alt.logprob, tokenBytes: Buffer.from(piece.bytes) };
    }),
  };
}
