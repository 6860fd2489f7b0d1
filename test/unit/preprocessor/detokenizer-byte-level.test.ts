// The detokenizer and token bytes on a byte-level BPE tokenizer (GPT-2 style, as the generated
// kvmesh-tiny-random model uses): a synthetic one with one token per byte, so every non-ASCII
// character is split over several tokens.
import { expect } from "chai";
import { IncrementalDetokenizer } from "../../../services/preprocessor/src/detokenizer/incremental-detokenizer.js";
import { ModelTokenizer } from "../../../services/preprocessor/src/tokenizer/model-tokenizer.js";
import { seededRandom } from "./stories-tokenizer.js";

/** tokenizer.json text: ids 0..255 are the bytes (GPT-2's printable stand-ins), 256 is <|endoftext|>. */
function byteLevelTokenizerJson(): string {
  const printable: number[] = [];
  for (const [lo, hi] of [[0x21, 0x7e], [0xa1, 0xac], [0xae, 0xff]]) for (let b = lo; b <= hi; b++) printable.push(b);
  const vocab: Record<string, number> = {};
  let extra = 0;
  for (let b = 0; b < 256; b++) vocab[String.fromCodePoint(printable.includes(b) ? b : 256 + extra++)] = b;
  vocab["<|endoftext|>"] = 256;
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return JSON.stringify({
    version: "1.0",
    added_tokens: [{ id: 256, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  });
}

const tokenizer = new ModelTokenizer("byte-level", byteLevelTokenizerJson(), JSON.stringify({ eos_token: "<|endoftext|>" }));

function stream(ids: readonly number[], prompt: number[] = []): string[] {
  const detok = new IncrementalDetokenizer(tokenizer, { skipSpecialTokens: true, promptTokens: prompt });
  return [...ids.map((id) => detok.push(id)), detok.flush()];
}

describe("preprocessor detokenizer (byte-level BPE)", () => {
  it("spells each byte of 日 as one token and emits the character once complete", () => {
    const ids = tokenizer.encode("日", false);
    expect(ids).to.deep.equal([0xe6, 0x97, 0xa5]);
    expect(stream(ids)).to.deep.equal(["", "", "日", ""]);
    expect(tokenizer.piece(0xe6)).to.deep.equal({ text: "bytes:\\xe6", bytes: Uint8Array.of(0xe6) });
    expect(tokenizer.eosToken).to.equal("<|endoftext|>");
  });

  it("random texts (seeded): concatenated deltas == full decode, no U+FFFD, after a prompt too", () => {
    const pool = ["a", " ", "é", "日本", "😀", "🎉", "\n", "Ω", "ok", "<|endoftext|>"];
    const rand = seededRandom(3);
    const prompt = tokenizer.encode("Q: 日本?", false);
    for (let n = 0; n < 150; n++) {
      const text = Array.from({ length: 1 + Math.floor(rand() * 10) }, () => pool[Math.floor(rand() * pool.length)]).join("");
      const ids = tokenizer.encode(text, false);
      for (const context of [[], prompt]) {
        const deltas = stream(ids, context);
        const expected = tokenizer.decode([...context, ...ids], true).slice(tokenizer.decode(context, true).length);
        expect(deltas.join(""), JSON.stringify(text)).to.equal(expected);
        for (const d of deltas) expect(d, JSON.stringify(text)).to.not.include("\uFFFD");
      }
    }
  });
});
