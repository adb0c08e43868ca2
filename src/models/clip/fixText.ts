// Text cleanup before CLIP tokenization: a documented subset of `ftfy.fix_text` (ftfy 6.3, default settings),
// which is what SD1.5's reference tokenizer (transformers' slow CLIPTokenizer with ftfy installed, identical to
// OpenAI's CLIP) runs on every prompt before whitespace cleanup and lowercasing.
//
// Like ftfy, the text is fixed one line at a time (each segment ends after a "\n"), and each line goes through
// these steps, in this order, repeated until the line stops changing:
//   1. HTML entities → characters (`&amp;` → &, `&#39;` → ') — but, as ftfy's "auto" mode, only until a line
//      containing "<" is met: from that line on the text is taken for HTML source and entities are kept;
//   2. mojibake repair (`cafÃ©` → café, `donâ€™t` → don’t), see mojibake.ts;
//   3. C1 control characters → their Windows-1252 characters (U+0085 → …);
//   4. Latin ligatures split (ﬁ → fi, ﬂ → fl, Ĳ → IJ, ǆ → dž, …);
//   5. fullwidth / halfwidth forms → their normal-width characters (ＦＵＬＬ１２３ → FULL123, U+3000 → space,
//      halfwidth katakana → katakana), i.e. NFKC of U+FF01–U+FFEF only;
//   6. curly quotes → ASCII: U+02BC, U+2018–U+201B → ' and U+201C–U+201F → ";
//   7. line breaks (\r\n, \r, U+2028, U+2029, U+0085) → \n;
//   8. unpaired UTF-16 surrogates → U+FFFD;
//   9. ANSI terminal escapes (ESC [ … letter) removed;
//  10. control characters removed: U+0000–U+0008, U+000B, U+000E–U+001F, U+007F, U+206A–U+206F, U+FEFF
//      (byte-order mark / zero width no-break space), U+FFF9–U+FFFC. Tab, \n, \r, form feed stay (whitespace);
//  11. Unicode NFC (e + U+0301 → é). Not NFKC: other compatibility characters (², ½, ™, ℃, …) are kept.
// Zero width space U+200B, ZWNJ/ZWJ U+200C/U+200D and the soft hyphen U+00AD are kept, as ftfy keeps them.
//
// What ftfy does that this subset does not (see also htmlEntities.ts and mojibake.ts):
//   * HTML: only the 253 HTML 4 entity names (+ their all-caps spelling) are known, not all 2231 HTML5 names
//     (`&NewLine;`, `&bigstar;` … stay as text);
//   * mojibake: only text garbled through Latin-1 / Windows-1252 is decoded (ftfy also tries Windows-1250/1251/
//     1253/1254/1257, ISO-8859-2, MacRoman, cp437 and CESU-8);
//   * ftfy splits lines longer than 1,000,000 characters into chunks (irrelevant for prompts);
//   * `fix_text` also accepts options (explanations, other normalization forms): we implement the defaults only.
// Checked against ftfy 6.3.1 itself on ~32,000 generated strings (prompt words in many scripts, garbled through
// Latin-1 / Windows-1252 whole or in part, with entities, ligatures, width forms, controls): identical except for
// the two limits above.
import { unescapeHtml } from "./htmlEntities.js";
import { fixC1Controls, fixEncoding } from "./mojibake.js";

const LIGATURES: ReadonlyMap<string, string> = new Map([
  ["Ĳ", "IJ"],
  ["ĳ", "ij"],
  ["ŉ", "ʼn"],
  ["Ǳ", "DZ"],
  ["ǲ", "Dz"],
  ["ǳ", "dz"],
  ["Ǆ", "DŽ"],
  ["ǅ", "Dž"],
  ["ǆ", "dž"],
  ["Ǉ", "LJ"],
  ["ǈ", "Lj"],
  ["ǉ", "lj"],
  ["Ǌ", "NJ"],
  ["ǋ", "Nj"],
  ["ǌ", "nj"],
  ["ﬀ", "ff"],
  ["ﬁ", "fi"],
  ["ﬂ", "fl"],
  ["ﬃ", "ffi"],
  ["ﬄ", "ffl"],
  ["ﬅ", "ſt"],
  ["ﬆ", "st"],
]);
const LIGATURE_RE = new RegExp(`[${[...LIGATURES.keys()].join("")}]`, "g");

export function fixLatinLigatures(text: string): string {
  return text.replace(LIGATURE_RE, (c) => LIGATURES.get(c)!);
}

// U+3000 ideographic space → " ", and every character of U+FF01–U+FFEF that NFKC changes → its NFKC form.
const WIDTH_MAP: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>([["\u3000", " "]]);
  for (let cp = 0xff01; cp < 0xfff0; cp++) {
    const c = String.fromCharCode(cp);
    const alt = c.normalize("NFKC");
    if (alt !== c) m.set(c, alt);
  }
  return m;
})();

export function fixCharacterWidth(text: string): string {
  return text.replace(/[\u3000\uff01-\uffef]/g, (c) => WIDTH_MAP.get(c) ?? c);
}

export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n|[\r\u2028\u2029\u0085]/g, "\n");
}

/** Lone surrogates (only possible in a JS/Python string, not in UTF-8 input) → U+FFFD. */
function fixSurrogates(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

// Python's `\d` is any Unicode decimal digit, hence \p{Nd}.
function removeTerminalEscapes(text: string): string {
  return text.includes("\x1b") ? text.replace(/\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu, "") : text;
}

function removeControlChars(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, "");
}

function fixLine(text: string, unescape: boolean): string {
  for (;;) {
    const orig = text;
    if (unescape) text = unescapeHtml(text);
    text = fixEncoding(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = text.normalize("NFC");
    if (text === orig) return text;
  }
}

/** ftfy.fix_text (default settings), restricted to the subset described at the top of this file. */
export function fixText(text: string): string {
  let out = "";
  let unescape = true;
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf("\n", pos);
    const end = nl === -1 ? text.length : nl + 1;
    const line = text.slice(pos, end);
    // ftfy's unescape_html="auto": once a line contains "<", this and all later lines keep their entities.
    if (line.includes("<")) unescape = false;
    out += fixLine(line, unescape);
    pos = end;
  }
  return out;
}
