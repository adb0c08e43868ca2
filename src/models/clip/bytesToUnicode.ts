// The byte-level alphabet of CLIP's BPE: every UTF-8 byte 0..255 is shown as one printable character, so a
// pre-token's bytes become a string the BPE merges (and vocab.json keys) are written in.
//
// Bytes that already print as themselves (0x21–0x7E, 0xA1–0xAC, 0xAE–0xFF) map to the code point of the same
// value; the other 68 bytes (0x00–0x20, 0x7F–0xA0, 0xAD), in increasing order, map to U+0100, U+0101, …, U+0143.
// Vocabulary ids 0–255 are these 256 symbols in the order "the printable ranges, then the 68 others", which is
// why `!` = 0 and `a` = 64.

function isPrintableByte(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/** BYTE_TO_CHAR[b] = the character that stands for byte b. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out = new Array<string>(256);
  let next = 0x100;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(isPrintableByte(b) ? b : next++);
  return out;
})();

/** The inverse of BYTE_TO_CHAR (used to decode tokens back to text). */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The 256 byte symbols in vocabulary order (ids 0–255): printable ranges first, then the remapped bytes. */
export const BYTE_SYMBOLS_IN_VOCAB_ORDER: readonly string[] = (() => {
  const printable: string[] = [];
  const others: string[] = [];
  for (let b = 0; b < 256; b++) (isPrintableByte(b) ? printable : others).push(BYTE_TO_CHAR[b]!);
  return [...printable, ...others];
})();

const utf8 = new TextEncoder();

/** A string's UTF-8 bytes, each replaced by its byte symbol. */
export function bytesToSymbols(text: string): string {
  let s = "";
  for (const b of utf8.encode(text)) s += BYTE_TO_CHAR[b]!;
  return s;
}
