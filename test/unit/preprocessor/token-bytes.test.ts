// Token bytes for logprobs: byte fallback, sentencepiece ▁, GPT-2 byte-level pieces, specials.
import { expect } from "chai";
import { byteSchemeOf, bytesText, pieceBytes } from "../../../services/preprocessor/src/tokenizer/token-bytes.js";
import type { TokenByteScheme } from "../../../services/preprocessor/src/tokenizer/token-bytes.js";

const CASES: Array<{ piece: string; scheme: TokenByteScheme; special?: boolean; bytes: number[]; text: string }> = [
  { piece: "<0xE6>", scheme: "sentencepiece", bytes: [0xe6], text: "bytes:\\xe6" },
  { piece: "<0x41>", scheme: "sentencepiece", bytes: [0x41], text: "A" },
  { piece: "▁Once", scheme: "sentencepiece", bytes: [0x20, 0x4f, 0x6e, 0x63, 0x65], text: " Once" },
  { piece: "é", scheme: "sentencepiece", bytes: [0xc3, 0xa9], text: "é" },
  { piece: "Ġhi", scheme: "byte-level", bytes: [0x20, 0x68, 0x69], text: " hi" },
  { piece: "Ċ", scheme: "byte-level", bytes: [0x0a], text: "\n" },
  { piece: "æĹ", scheme: "byte-level", bytes: [0xe6, 0x97], text: "bytes:\\xe6\\x97" },
  { piece: "<|im_end|>", scheme: "byte-level", special: true, bytes: [...new TextEncoder().encode("<|im_end|>")], text: "<|im_end|>" },
  { piece: "<0x41>", scheme: "byte-level", special: false, bytes: [...new TextEncoder().encode("<0x41>")], text: "<0x41>" },
];

describe("preprocessor token bytes", () => {
  for (const c of CASES) {
    it(`${JSON.stringify(c.piece)} (${c.scheme}${c.special ? ", special" : ""})`, () => {
      const bytes = pieceBytes(c.piece, c.scheme, c.special ?? false);
      expect([...bytes]).to.deep.equal(c.bytes);
      expect(bytesText(bytes)).to.equal(c.text);
    });
  }

  it("detects byte-level BPE from the decoder or pre-tokenizer", () => {
    expect(byteSchemeOf({ decoder: { type: "ByteLevel" } })).to.equal("byte-level");
    expect(byteSchemeOf({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Split" }, { type: "ByteLevel" }] } })).to.equal("byte-level");
    expect(byteSchemeOf({ decoder: { type: "Sequence", decoders: [{ type: "ByteFallback" }] } })).to.equal("sentencepiece");
  });
});
