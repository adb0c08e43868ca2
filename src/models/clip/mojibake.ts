// Mojibake repair: text that was UTF-8, decoded as Latin-1 or Windows-1252 by mistake ("cafÃ©" for "café",
// "donâ€™t" for "don’t", "ðŸ˜€" for 😀), is turned back into what was meant. This reproduces ftfy 6.3's
// `fix_encoding` (what SD1.5's reference tokenizer runs), restricted to those two encodings:
//
//   repeat until nothing changes:
//     1. plain ASCII, or text that does not look like mojibake (`isBad`) → done;
//     2. the whole text encoded as Latin-1, else as "sloppy" Windows-1252 (its five unassigned bytes stand for
//        the C1 characters of the same value, byte 0x1A for U+FFFD), then
//          - a plain space where a U+00A0 byte must have been ("Ã la mode") is put back (`restoreByteA0`),
//          - (Windows-1252 only) sequences with a lost byte (U+FFFD, "?") become one U+FFFD (`replaceLossy`),
//        and if the bytes are valid UTF-8 → take that;
//     3. else each run of characters that look like UTF-8 shown in Latin-1/Windows-1252 (`UTF8_DETECTOR_RE`)
//        is fixed on its own when it looks like mojibake by itself (text mixing good non-Latin characters and
//        mojibake, like "東京 cafÃ©");
//     4. else C1 control characters (U+0080–U+009F) become their Windows-1252 characters (`fixC1Controls`).
//
// What ftfy also does and we do not:
//   * ftfy also undoes mojibake through Windows-1250/1251/1253/1254/1257, ISO-8859-2, MacRoman and cp437; we
//     only decode Latin-1 / Windows-1252 (the detection rules are ftfy's complete set, so we recognise the
//     same text as broken, but text broken through another encoding is left as it is).
//   * ftfy decodes bytes containing 0xC0 or 0xED with its "utf-8-variants" codec (CESU-8 surrogate pairs,
//     C0 80 = U+0000); we require standard UTF-8, so such (rare) text is left as it is.

/** Windows-1252 bytes 0x80–0x9F; the five bytes it leaves unassigned keep their C1 code point ("sloppy"). */
const CP1252_80_9F = "€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ";

/** Character → byte for sloppy Windows-1252 where it differs from Latin-1. */
const CP1252_ENCODE: ReadonlyMap<string, number> = new Map([
  ...[...CP1252_80_9F].map((c, i): [string, number] => [c, 0x80 + i]),
  ["\ufffd", 0x1a],
]);

/** Bytes are handled as "binary strings" (one char per byte) so that regular expressions can run on them. */
type ByteString = string;

/** Latin-1 bytes of `text`, or null when a character is above U+00FF. */
function encodeLatin1(text: string): ByteString | null {
  return /^[\x00-\xff]*$/.test(text) ? text : null;
}

/** Sloppy Windows-1252 bytes of `text`, or null when a character has no byte (U+001A has none: 0x1A is U+FFFD). */
function encodeSloppyCp1252(text: string): ByteString | null {
  let out = "";
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if ((c < 0x80 && c !== 0x1a) || (c >= 0xa0 && c <= 0xff)) out += ch;
    else {
      const b = CP1252_ENCODE.get(ch);
      if (b === undefined) return null;
      out += String.fromCharCode(b);
    }
  }
  return out;
}

// ignoreBOM: keep a leading U+FEFF like Python's "utf-8" codec (WHATWG would drop it).
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeUtf8OrNull(bytes: ByteString): string | null {
  const arr = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) arr[i] = bytes.charCodeAt(i);
  try {
    return strictUtf8.decode(arr);
  } catch {
    return null;
  }
}

/** C1 control characters → their Windows-1252 characters (the five unassigned ones are kept). */
export function fixC1Controls(text: string): string {
  return text.replace(/[\x80-\x9f]/g, (c) => CP1252_80_9F[c.charCodeAt(0) - 0x80]!);
}

// ---------------------------------------------------------------------------------------------------------------
// Does the text look like mojibake? ftfy 6.3's badness rules. The few hundred characters that UTF-8 mojibake is
// made of (in all the single-byte encodings ftfy knows) fall into groups; a rule is an unlikely juxtaposition of
// groups, e.g. an accented letter right before a character that is nearly only ever seen in mojibake.

const C1 = "\\x80-\\x9f";
/** Characters that are nearly only ever seen in mojibake. */
const BAD = "¦¤¨¬¯¸ƒˆˇ˘˛˜†‡‰⌐◊\\ufffdªº";
const LAW = "¶§";
const CURRENCY = "¢£¥₧€";
const START_PUNCT = "¡«¿©΄΅‘‚“„•‹\\uf8ff";
const END_PUNCT = "®»˝”›™";
const NUMERIC = "²³¹±¼½¾×µ÷⁄∂∆∏∑√∞∩∫≈≠≡≤≥№";
/** Letters used to draw emoticon faces, so allowed in odd places. */
const KAOMOJI = "Ò-ÖÙ-Üò-öø-üŐŌŪŲ°";
const UPPER_ACCENTED = "À-ÑØÜÝĂĀĄĆČĎĐĘĚĒĖĞĢİĪĶĹĽŁĻŃŇŅŒŘŚŞŠŢŤŮŰŸŹŻŽҐ";
const LOWER_ACCENTED = "ßà-ñăąāćčďđęěēėğģįīķĺľłļœŕśşšťüźżžґﬁﬂ";
const UPPER_COMMON = "ÞΑ-ΩΆΈΉΊΌΎΏΪΫЁ-Я";
const LOWER_COMMON = "α-ωάέήίΰа-џ";
const BOX = "│┌┐┘├┤┬┼═-╬▀▄█▌▐░▒▓";
/** Used in many contexts; only suspicious in the Arabic-mojibake rule. */
const COMMON = "\\xa0\\xad·´–—―…’";
// Python's \\s (str.isspace) and \\w.
const WS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WORD = "\\p{L}\\p{N}_";

const SYMBOLISH = `${LOWER_ACCENTED}${UPPER_ACCENTED}${BOX}${START_PUNCT}${END_PUNCT}${CURRENCY}${NUMERIC}${LAW}`;
const ARABIC_FOLLOW = `${COMMON}${CURRENCY}${BAD}${NUMERIC}${START_PUNCT}ŸŠ®°µ»`;
const CP1251_MID = `${C1}${BAD}${START_PUNCT}${END_PUNCT}${CURRENCY}°µ`;
const CP1253_MID = `${C1}${BAD}${START_PUNCT}${END_PUNCT}${CURRENCY}°`;

const BADNESS_RE = new RegExp(
  [
    `[${C1}]`,
    `[${BAD}${SYMBOLISH}][${BAD}]`,
    `[a-zA-Z][${LOWER_COMMON}${UPPER_COMMON}][${BAD}]`,
    `[${BAD}][${SYMBOLISH}]`,
    `[${LOWER_ACCENTED}${LOWER_COMMON}${BOX}${END_PUNCT}${CURRENCY}${NUMERIC}][${UPPER_ACCENTED}]`,
    `[${BOX}${END_PUNCT}${CURRENCY}${NUMERIC}][${LOWER_ACCENTED}]`,
    `[${LOWER_ACCENTED}${BOX}${END_PUNCT}][${CURRENCY}]`,
    `[${WS}][${UPPER_ACCENTED}][${CURRENCY}]`,
    `[${UPPER_ACCENTED}${BOX}][${NUMERIC}${LAW}]`,
    `[${LOWER_ACCENTED}${UPPER_ACCENTED}${BOX}${CURRENCY}${END_PUNCT}][${START_PUNCT}][${NUMERIC}]`,
    `[${LOWER_ACCENTED}${UPPER_ACCENTED}${CURRENCY}${NUMERIC}${BOX}${LAW}][${END_PUNCT}][${START_PUNCT}]`,
    `[${CURRENCY}${NUMERIC}${BOX}][${START_PUNCT}]`,
    `[a-z][${UPPER_ACCENTED}][${START_PUNCT}${CURRENCY}]`,
    `[${BOX}][${KAOMOJI}]`,
    `[${LOWER_ACCENTED}${UPPER_ACCENTED}${CURRENCY}${NUMERIC}${START_PUNCT}${END_PUNCT}${LAW}][${BOX}]`,
    `[${BOX}][${END_PUNCT}]`,
    `[${LOWER_ACCENTED}${UPPER_ACCENTED}][${START_PUNCT}${END_PUNCT}][${WORD}]`,
    `[Œœ][^A-Za-z]`, // the ligature œ not followed by a plain Latin letter
    `[${UPPER_ACCENTED}]°`,
    `[ÂÃÎÐ][€œŠš¢£Ÿž\\xa0\\xad®©°·»${START_PUNCT}${END_PUNCT}–—´]`, // frequent 2-character Windows-1252 mojibake
    `×[²³]`,
    `[ØÙ][${ARABIC_FOLLOW}][ØÙ][${ARABIC_FOLLOW}]`, // Arabic in Windows-1252: needs 4 characters to be sure
    `à[²µ¹¼½¾]`, // start of 3-byte South Asian letters
    `√[±∂†≠®™´≤≥¥µø]`, // MacRoman
    `≈[°¢]`,
    `‚Ä[ìîïòôúùû†°¢π]`,
    `‚[âó][àä°ê]`,
    `вЂ`, // Windows-1251
    `[ВГРС][${CP1251_MID}][ВГРС]`,
    `ГўВЂВ[^\\n][A-Za-z ]`,
    `Ã[\\xa0¡]`, // à, á, and U+00A0 itself
    `[a-z][${WS}]?[ÃÂ] `,
    `^[ÃÂ] `,
    `[a-z.,?!${END_PUNCT}]Â[ ${START_PUNCT}${END_PUNCT}]`, // Â before the character it came with
    `β€[™\\xa0Ά\\xad®°]`, // Windows-1253
    `[ΒΓΞΟ][${CP1253_MID}][ΒΓΞΟ]`,
    `ā€`, // Windows-1257
  ].join("|"),
  "u",
);

/** True when `text` contains a sequence that is very unlikely in real text but typical of mojibake. */
export function isBad(text: string): boolean {
  return BADNESS_RE.test(text);
}

// ---------------------------------------------------------------------------------------------------------------
// Byte-level repairs before decoding (on the re-encoded bytes).

/** UTF-8 sequences that would be valid if a 0xA0 byte had not become a space (0x20). */
const ALTERED_UTF8_RE =
  /[\xc2\xc3\xc5\xce\xd0\xd9] |[\xe2\xe3] [\x80-\x84\x86-\x9f\xa1-\xbf]|[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf] |\xf0 [\x80-\xbf]{2}|\xf0[\x80-\xbf] [\x80-\xbf]|\xf0[\x80-\xbf]{2} /g;
/** "Ã " standing alone is "à " (French "à la"), except in Portuguese "às", "àquele", … */
const A_GRAVE_WORD_RE = /\xc3 (?! |quele|quela|quilo|s )/g;

function restoreByteA0(bytes: ByteString): ByteString {
  return bytes.replace(A_GRAVE_WORD_RE, "\xc3\xa0 ").replace(ALTERED_UTF8_RE, (m) => m.replaceAll(" ", "\xa0"));
}

/** UTF-8 sequences with a lost byte (0x1A = U+FFFD in sloppy Windows-1252, or "?") → one U+FFFD. */
const LOSSY_UTF8_RE = new RegExp(
  [
    "[\\xc2-\\xdf]\\x1a",
    "[\\xc2-\\xc3]\\?",
    "\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]",
    "\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]",
    "[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]",
    "[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]",
    "[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]",
    "[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]",
    "[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]",
    "\\x1a",
  ].join("|"),
  "g",
);

function replaceLossy(bytes: ByteString): ByteString {
  return bytes.replace(LOSSY_UTF8_RE, "\xef\xbf\xbd");
}

// ---------------------------------------------------------------------------------------------------------------
// Runs of UTF-8-looking characters, for text that cannot be re-encoded as a whole: a lead character followed by
// continuation characters, as ftfy's UTF8_DETECTOR_RE has them. Its sets list what bytes C2–DF (lead of 2),
// E0–EF (lead of 3), F0–F4 (lead of 4) and 80–BF (continuation) look like in all of ftfy's single-byte
// encodings; we keep the full sets so that runs are delimited exactly as ftfy does, though only Latin-1 /
// Windows-1252 runs can then be decoded here. Spaces count as continuations (a U+00A0 byte often became one).
// A run may not start right after a "strict" continuation (one that is not also common punctuation), so that a
// few characters inside a larger garble are not fixed alone.

const LEAD2 = "\\xc2-\\xdfĂĀĆČĎĐĚĖĒĘĞĢİĪĶĹĻŁŃŇŅŐŌŘŚŠŞŢŰŪŲŮŹŽŻΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΪΫάέήίВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ";
const LEAD3 = "\\xe0-\\xefăāąćčďěėēęģīįķĺļŕźΰαβγδεζηθικλμνξοабвгдежзийклмноп";
const LEAD4 = "đðğóšπσру";
const CONT_STRICT =
  "\\x80-\\xbfĄÆĽŁØŖŚŠŞŤŸŹŽŻŒąæƒľłøŗśšşťźžżœˆˇ˘˛˜˝΄΅ΆΈΉΊΌΎΏЁЂЃЄЅІЇЈЉЊЋЌЎЏёђѓєѕіїјљњћќўџҐґ†‡‰‹›€№™";
const CONT = `${CONT_STRICT} –—―‘’‚“”„•…`;
const UTF8_DETECTOR_RE = new RegExp(
  `(?<![${CONT_STRICT}])(?:[${LEAD2}][${CONT}]|[${LEAD3}][${CONT}]{2}|[${LEAD4}][${CONT}]{3})+`,
  "g",
);

function fixEncodingOneStep(text: string): string {
  if (text.length === 0 || /^[\x00-\x7f]*$/.test(text) || !isBad(text)) return text;
  for (const [encode, sloppy] of [
    [encodeLatin1, false],
    [encodeSloppyCp1252, true],
  ] as const) {
    let bytes = encode(text);
    if (bytes === null) continue;
    if (new RegExp(ALTERED_UTF8_RE.source).test(bytes)) bytes = restoreByteA0(bytes);
    if (sloppy) bytes = replaceLossy(bytes);
    const decoded = decodeUtf8OrNull(bytes);
    if (decoded !== null) return decoded;
  }
  const fixed = text.replace(UTF8_DETECTOR_RE, (m) => (m.length < text.length && isBad(m) ? fixEncoding(m) : m));
  if (fixed !== text) return fixed;
  if (/[\x80-\x9f]/.test(text)) return fixC1Controls(text);
  return text;
}

/** Undo Latin-1 / Windows-1252 mojibake, repeatedly (text can be mis-decoded more than once). */
export function fixEncoding(text: string): string {
  for (;;) {
    const next = fixEncodingOneStep(text);
    if (next === text) return text;
    text = next;
  }
}
