// Incremental detokenization on stories260K's real tokenizer (▁ spaces, byte fallback <0xNN>):
// the deltas always add up to the full decode, and never carry half a character.
import { expect } from "chai";
import { IncrementalDetokenizer } from "../../../services/preprocessor/src/detokenizer/incremental-detokenizer.js";
import { requireStoriesModel } from "../../support/stories-model.js";
import { seededRandom, storiesTokenizer } from "./stories-tokenizer.js";

const REPLACEMENT = "\uFFFD";

function stream(ids: readonly number[], options: { prompt?: number[]; skip?: boolean } = {}): string[] {
  const detok = new IncrementalDetokenizer(storiesTokenizer(), { skipSpecialTokens: options.skip ?? true, promptTokens: options.prompt });
  const deltas = ids.map((id) => detok.push(id));
  deltas.push(detok.flush());
  return deltas;
}

/** True when `s` has a lone surrogate (half of an emoji). */
function brokenSurrogates(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

describe("preprocessor incremental detokenizer (stories260K)", () => {
  before(function () {
    requireStoriesModel(this);
  });

  const texts = ["Once upon a time", "é", "日本", "😀 hi", "a  b", "café 日本語 🎉🎉 end", "x\n\ny", "ab😀é日c", "🎉"];
  for (const text of texts) {
    it(`streams ${JSON.stringify(text)} exactly, never U+FFFD or a lone surrogate`, () => {
      const tok = storiesTokenizer();
      const ids = tok.encode(text, false);
      const deltas = stream(ids);
      expect(deltas.join("")).to.equal(tok.decode(ids, true));
      expect(deltas.join("")).to.equal(text);
      for (const d of deltas) {
        expect(d).to.not.include(REPLACEMENT);
        expect(brokenSurrogates(d), JSON.stringify(d)).to.equal(false);
      }
    });
  }

  it("holds the bytes of 日 back until the character is complete", () => {
    const tok = storiesTokenizer();
    const ids = tok.encode("a日", false); // ▁a <0xE6> <0x97> <0xA5>
    expect(ids.length).to.equal(4);
    expect(stream(ids)).to.deep.equal(["a", "", "", "日", ""]);
  });

  it("keeps the first output token's leading space after a prompt", () => {
    const tok = storiesTokenizer();
    const prompt = tok.encode("Once upon a time", true);
    const output = tok.encode("Once upon a time there was 日本", false).slice(prompt.length - 1);
    expect(stream(output, { prompt }).join("")).to.equal(" there was 日本");
  });

  it("random texts (seeded): concatenated deltas == full decode, no U+FFFD mid-stream", () => {
    const tok = storiesTokenizer();
    const pool = ["a", "b", "the", " ", "  ", "é", "日", "本", "😀", "🎉", "\n", "ü", "Ω", "x"];
    const rand = seededRandom(42);
    for (let n = 0; n < 200; n++) {
      const text = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => pool[Math.floor(rand() * pool.length)]).join("");
      const ids = tok.encode(text, false);
      const deltas = stream(ids);
      expect(deltas.join(""), JSON.stringify(text)).to.equal(tok.decode(ids, true));
      for (const d of deltas) expect(d.includes(REPLACEMENT) || brokenSurrogates(d), JSON.stringify({ text, d })).to.equal(false);
    }
  });

  it("adversarial random ids (seeded; specials, stray bytes): concatenated deltas == full decode", () => {
    const tok = storiesTokenizer();
    const rand = seededRandom(7);
    for (let n = 0; n < 300; n++) {
      // Byte-fallback ids (3..258) are drawn often so broken sequences are common.
      const ids = Array.from({ length: 1 + Math.floor(rand() * 16) }, () => (rand() < 0.5 ? 3 + Math.floor(rand() * 256) : Math.floor(rand() * tok.vocabSize)));
      for (const skip of [true, false]) {
        const deltas = stream(ids, { skip });
        expect(deltas.join(""), JSON.stringify({ ids, skip })).to.equal(tok.decode(ids, skip));
        // A held character comes out whole: no delta but the last ends in U+FFFD.
        for (const d of deltas.slice(0, -1)) expect(d.endsWith(REPLACEMENT), JSON.stringify({ ids, d })).to.equal(false);
      }
    }
  });

  it("adversarial ids after a prompt: deltas == decode(prompt + output) minus decode(prompt)", () => {
    const tok = storiesTokenizer();
    const rand = seededRandom(99);
    const prompt = tok.encode("Once upon a time, a girl", true);
    for (let n = 0; n < 100; n++) {
      const ids = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => 3 + Math.floor(rand() * (tok.vocabSize - 3)));
      const expected = tok.decode([...prompt, ...ids], true).slice(tok.decode(prompt, true).length);
      expect(stream(ids, { prompt }).join(""), JSON.stringify(ids)).to.equal(expected);
    }
  });
});
