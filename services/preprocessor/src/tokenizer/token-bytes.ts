/**
 * The raw bytes behind one vocabulary entry, for logprobs (`token_bytes`): a byte-fallback
 * piece `<0xNN>` is that byte, a byte-level BPE piece maps back through GPT-2's byte↔unicode
 * table, and a sentencepiece piece is its text with `▁` as a space.
 */

/** How a tokenizer's vocabulary spells bytes. */
export type TokenByteScheme = "byte-level" | "sentencepiece";

const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;
const encoder = new TextEncoder();

let unicodeToByte: Map<string, number> | undefined;

/** GPT-2's `bytes_to_unicode`, inverted: printable stand-in character → byte. */
function byteLevelTable(): Map<string, number> {
  if (unicodeToByte) return unicodeToByte;
  const printable: number[] = [];
  const ranges: Array<[number, number]> = [[0x21, 0x7e], [0xa1, 0xac], [0xae, 0xff]];
  for (const [lo, hi] of ranges) for (let b = lo; b <= hi; b++) printable.push(b);
  const table = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const code = printable.includes(b) ? b : 256 + extra++;
    table.set(String.fromCodePoint(code), b);
  }
  unicodeToByte = table;
  return table;
}

/** The scheme a tokenizer.json uses, from its decoder (ByteLevel anywhere means byte-level BPE). */
export function byteSchemeOf(tokenizerJson: unknown): TokenByteScheme {
  const hasByteLevel = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.some(hasByteLevel);
    if (node === null || typeof node !== "object") return false;
    const record = node as Record<string, unknown>;
    return record.type === "ByteLevel" || Object.values(record).some(hasByteLevel);
  };
  const json = tokenizerJson as { decoder?: unknown; pre_tokenizer?: unknown };
  return hasByteLevel(json.decoder) || hasByteLevel(json.pre_tokenizer) ? "byte-level" : "sentencepiece";
}

/** The bytes of vocabulary piece `piece`; `special` pieces are their literal UTF-8 text. */
export function pieceBytes(piece: string, scheme: TokenByteScheme, special: boolean): Uint8Array {
  if (special) return encoder.encode(piece);
  if (scheme === "byte-level") {
    const table = byteLevelTable();
    const chars = [...piece];
    // A piece outside the table (an added token) is plain text.
    if (!chars.every((c) => table.has(c))) return encoder.encode(piece);
    return Uint8Array.from(chars.map((c) => table.get(c)!));
  }
  const fallback = BYTE_FALLBACK.exec(piece);
  if (fallback) return Uint8Array.of(parseInt(fallback[1], 16));
  return encoder.encode(piece.replace(/\u2581/g, " "));
}

/**
 * Text for a token's bytes: the UTF-8 string when they are valid on their own, else the
 * `bytes:\xNN` spelling OpenAI uses for a partial character (never U+FFFD).
 */
export function bytesText(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return `bytes:${[...bytes].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}`;
  }
}
