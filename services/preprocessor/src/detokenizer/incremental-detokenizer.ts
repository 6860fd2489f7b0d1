/**
 * Incremental detokenization (the prefix/read-offset scheme of vLLM and TGI): each new token's
 * text is the difference between decoding a short window with and without the unread tokens.
 * Decoding a window rather than single tokens keeps sentencepiece's `▁` spaces and merged
 * pieces right, and text ending in U+FFFD is held back, so a multi-byte character spelled as
 * several byte-fallback tokens (`<0xE6><0x97><0xA5>`) comes out whole, never half of it.
 */
import type { TokenDecoder } from "../tokenizer/model-tokenizer.js";

/** Prompt tokens decoded as context, so the first output token keeps its leading space. */
const CONTEXT_TOKENS = 5;
const REPLACEMENT = "\uFFFD";

/** Options of {@link IncrementalDetokenizer}. */
export interface DetokenizerOptions {
  skipSpecialTokens: boolean;
  /** The prompt (only its last few tokens are used). */
  promptTokens?: readonly number[];
}

/** Turns output tokens, one at a time, into text deltas that never break a character. */
export class IncrementalDetokenizer {
  private readonly tokens: number[];
  /** Start of the decode window. */
  private prefixOffset: number;
  /** Tokens before this have had their text emitted. */
  private readOffset: number;
  private readonly skip: boolean;

  constructor(private readonly decoder: TokenDecoder, options: DetokenizerOptions) {
    const prompt = options.promptTokens ?? [];
    this.tokens = prompt.slice(Math.max(0, prompt.length - CONTEXT_TOKENS));
    this.prefixOffset = 0;
    this.readOffset = this.tokens.length;
    this.skip = options.skipSpecialTokens;
  }

  /** Adds one token; returns the text it completes ("" while a character is incomplete). */
  push(tokenId: number): string {
    this.tokens.push(tokenId);
    return this.emit(false);
  }

  /** The text still held back (an incomplete character at the end), as the stream ends. */
  flush(): string {
    return this.emit(true);
  }

  private emit(final: boolean): string {
    let prefixText = this.decode(this.prefixOffset, this.readOffset);
    // A window that decodes to nothing (skipped special tokens, a stripped leading space) would
    // let the decoder's "strip the first space" rule eat the next token's space: widen it.
    while (prefixText === "" && this.prefixOffset > 0) prefixText = this.decode(--this.prefixOffset, this.readOffset);
    const newText = this.decode(this.prefixOffset, this.tokens.length);
    if (newText.length <= prefixText.length) return "";
    if (!final && newText.endsWith(REPLACEMENT)) return "";
    this.prefixOffset = this.readOffset;
    this.readOffset = this.tokens.length;
    return newText.slice(prefixText.length);
  }

  private decode(from: number, to: number): string {
    return from >= to ? "" : this.decoder.decode(this.tokens.slice(from, to), this.skip);
  }
}
