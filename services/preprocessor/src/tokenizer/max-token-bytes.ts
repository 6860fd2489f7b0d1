/**
 * The longest token of a vocabulary, in bytes of the text it stands for: the factor of the
 * prompt byte pre-check (a prompt of more than context length × this many UTF-8 bytes cannot
 * fit in the context, whatever its tokens). Byte-level BPE pieces decode through GPT-2's
 * byte↔unicode map, sentencepiece "▁" is one space byte and `<0xNN>` one byte; added tokens
 * count the UTF-8 bytes of their literal text.
 */
import { pieceBytes } from "./token-bytes.js";
import type { TokenByteScheme } from "./token-bytes.js";

/** The vocabulary's pieces: an object (BPE, WordPiece, WordLevel) or `[piece, score]` pairs (Unigram). */
function vocabPieces(model: unknown): string[] {
  const vocab = (model as { vocab?: unknown } | null)?.vocab;
  if (Array.isArray(vocab)) return vocab.map((entry: unknown) => (Array.isArray(entry) ? entry[0] : entry)).filter((p): p is string => typeof p === "string");
  if (vocab !== null && typeof vocab === "object") return Object.keys(vocab);
  return [];
}

/**
 * Bytes of the longest token of `tokenizerJson` (parsed tokenizer.json); 0 when it lists no
 * token. The bound holds for tokenizers whose normalizer does not shrink text: a model that
 * folds text (NFKC) or fuses unknown characters into one `<unk>` could, in theory, fit more
 * bytes per token than its vocabulary spells.
 */
export function maxTokenBytes(tokenizerJson: Record<string, unknown>, scheme: TokenByteScheme): number {
  let longest = 0;
  for (const piece of vocabPieces(tokenizerJson.model)) longest = Math.max(longest, pieceBytes(piece, scheme, false).length);
  const added = Array.isArray(tokenizerJson.added_tokens) ? (tokenizerJson.added_tokens as Array<{ content?: unknown }>) : [];
  for (const token of added) {
    // Added tokens match their literal text in the input, whatever the scheme.
    if (typeof token?.content === "string") longest = Math.max(longest, Buffer.byteLength(token.content, "utf8"));
  }
  return longest;
}
