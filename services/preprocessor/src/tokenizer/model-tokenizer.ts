/**
 * One model's tokenizer, built from the JSON files of its model card with
 * @huggingface/tokenizers: encode, decode, per-token bytes and the special-token strings chat
 * templates need (bos_token, eos_token from tokenizer_config.json).
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { FailedPreconditionError } from "#common/errors.js";
import { maxTokenBytes } from "./max-token-bytes.js";
import { byteSchemeOf, bytesText, pieceBytes } from "./token-bytes.js";
import type { TokenByteScheme } from "./token-bytes.js";

/** What the detokenizer needs from a tokenizer (fakes implement it in tests). */
export interface TokenDecoder {
  /** The text of `ids`, as a whole (the tokenizer's own decode). */
  decode(ids: readonly number[], skipSpecialTokens: boolean): string;
}

/** A token's text and bytes, for logprobs. */
export interface TokenPiece {
  text: string;
  bytes: Uint8Array;
}

/** A tokenizer_config special token: a string or an AddedToken object `{ content }`. */
function specialTokenString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") return (value as { content: string }).content;
  return undefined;
}

function parseJson(text: string, what: string, model: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (cause) {
    throw new FailedPreconditionError(`model "${model}": ${what} in its model card is not valid JSON`, { cause });
  }
  throw new FailedPreconditionError(`model "${model}": ${what} in its model card is not a JSON object`);
}

/** A model's tokenizer and its special tokens. */
export class ModelTokenizer implements TokenDecoder {
  /** tokenizer_config.json as parsed (the chat template may live in it). */
  readonly config: Record<string, unknown>;
  /** `bos_token` for templates, when the config names one. */
  readonly bosToken: string | undefined;
  /** `eos_token` for templates, when the config names one. */
  readonly eosToken: string | undefined;
  /** Number of ids the vocabulary holds (added tokens included). */
  readonly vocabSize: number;
  /** Bytes of text the longest token stands for (the prompt byte pre-check's factor). */
  readonly maxTokenBytes: number;
  private readonly tokenizer: Tokenizer;
  private readonly scheme: TokenByteScheme;
  private readonly specialIds: ReadonlySet<number>;

  /** Builds the tokenizer from the card's tokenizer.json and tokenizer_config.json texts. */
  constructor(model: string, tokenizerJson: string, tokenizerConfigJson: string) {
    if (tokenizerJson.trim() === "") throw new FailedPreconditionError(`model "${model}" has no tokenizer.json in its model card`);
    const json = parseJson(tokenizerJson, "tokenizer.json", model);
    this.config = tokenizerConfigJson.trim() === "" ? {} : parseJson(tokenizerConfigJson, "tokenizer_config.json", model);
    this.tokenizer = new Tokenizer(json, this.config);
    this.scheme = byteSchemeOf(json);
    this.maxTokenBytes = maxTokenBytes(json, this.scheme);
    this.bosToken = specialTokenString(this.config.bos_token);
    this.eosToken = specialTokenString(this.config.eos_token);
    const added = this.tokenizer.get_added_tokens_decoder();
    this.specialIds = new Set([...added].filter(([, token]) => token.special).map(([id]) => id));
    let maxId = -1;
    for (const id of this.tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
  }

  /** Token ids of `text`; `addSpecialTokens` applies the post-processor (BOS for Llama). */
  encode(text: string, addSpecialTokens: boolean): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  /** {@inheritDoc TokenDecoder.decode} */
  decode(ids: readonly number[], skipSpecialTokens: boolean): string {
    // The library rejects an empty list; its text is plainly "".
    if (ids.length === 0) return "";
    // The library only reads the list: no copy (the detokenizer decodes a fresh slice per token).
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: skipSpecialTokens });
  }

  /** The text and bytes of one token on its own (a partial character reads `bytes:\xNN`). */
  piece(id: number): TokenPiece {
    const raw = this.tokenizer.id_to_token(id);
    if (raw === undefined) return { text: "", bytes: new Uint8Array() };
    const bytes = pieceBytes(raw, this.scheme, this.specialIds.has(id));
    return { text: bytesText(bytes), bytes };
  }
}
