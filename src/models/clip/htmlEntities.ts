// HTML entity decoding as ftfy's `unescape_html` step does it (the reference cleanup of the SD1.5 tokenizer):
// every match of `&#?[0-9A-Za-z]{1,24};` (the semicolon is required) is replaced when it is
//   * a named entity we know (below), or the all-uppercase spelling of a lowercase-named one (`&EACUTE;` → É,
//     the uppercased character), or
//   * a numeric reference `&#DDD;` / `&#xHHH;` decoded like Python's `html.unescape` (C1 numbers 0x80–0x9F mean
//     their Windows-1252 characters, surrogates / > U+10FFFF give U+FFFD, other invalid code points vanish,
//     and a result containing ";" — i.e. `&#59;` or a partial parse — leaves the reference unchanged);
// anything else is left as is.
//
// Subset: ftfy knows all 2231 HTML5 entity names; we know the 253 of HTML 4 (+ `&apos;`), with the HTML5 values
// (`&lang;`/`&rang;` are U+27E8/U+27E9 there). HTML5-only names such as `&NewLine;` or `&bigstar;` stay as text.

const NAMED: string =
  "quot:22 amp:26 apos:27 lt:3c gt:3e nbsp:a0 iexcl:a1 cent:a2 pound:a3 curren:a4 yen:a5 brvbar:a6 sect:a7 " +
  "uml:a8 copy:a9 ordf:aa laquo:ab not:ac shy:ad reg:ae macr:af deg:b0 plusmn:b1 sup2:b2 sup3:b3 acute:b4 " +
  "micro:b5 para:b6 middot:b7 cedil:b8 sup1:b9 ordm:ba raquo:bb frac14:bc frac12:bd frac34:be iquest:bf " +
  "Agrave:c0 Aacute:c1 Acirc:c2 Atilde:c3 Auml:c4 Aring:c5 AElig:c6 Ccedil:c7 Egrave:c8 Eacute:c9 Ecirc:ca " +
  "Euml:cb Igrave:cc Iacute:cd Icirc:ce Iuml:cf ETH:d0 Ntilde:d1 Ograve:d2 Oacute:d3 Ocirc:d4 Otilde:d5 Ouml:d6 " +
  "times:d7 Oslash:d8 Ugrave:d9 Uacute:da Ucirc:db Uuml:dc Yacute:dd THORN:de szlig:df agrave:e0 aacute:e1 " +
  "acirc:e2 atilde:e3 auml:e4 aring:e5 aelig:e6 ccedil:e7 egrave:e8 eacute:e9 ecirc:ea euml:eb igrave:ec " +
  "iacute:ed icirc:ee iuml:ef eth:f0 ntilde:f1 ograve:f2 oacute:f3 ocirc:f4 otilde:f5 ouml:f6 divide:f7 " +
  "oslash:f8 ugrave:f9 uacute:fa ucirc:fb uuml:fc yacute:fd thorn:fe yuml:ff OElig:152 oelig:153 Scaron:160 " +
  "scaron:161 Yuml:178 fnof:192 circ:2c6 tilde:2dc Alpha:391 Beta:392 Gamma:393 Delta:394 Epsilon:395 Zeta:396 " +
  "Eta:397 Theta:398 Iota:399 Kappa:39a Lambda:39b Mu:39c Nu:39d Xi:39e Omicron:39f Pi:3a0 Rho:3a1 Sigma:3a3 " +
  "Tau:3a4 Upsilon:3a5 Phi:3a6 Chi:3a7 Psi:3a8 Omega:3a9 alpha:3b1 beta:3b2 gamma:3b3 delta:3b4 epsilon:3b5 " +
  "zeta:3b6 eta:3b7 theta:3b8 iota:3b9 kappa:3ba lambda:3bb mu:3bc nu:3bd xi:3be omicron:3bf pi:3c0 rho:3c1 " +
  "sigmaf:3c2 sigma:3c3 tau:3c4 upsilon:3c5 phi:3c6 chi:3c7 psi:3c8 omega:3c9 thetasym:3d1 upsih:3d2 piv:3d6 " +
  "ensp:2002 emsp:2003 thinsp:2009 zwnj:200c zwj:200d lrm:200e rlm:200f ndash:2013 mdash:2014 lsquo:2018 " +
  "rsquo:2019 sbquo:201a ldquo:201c rdquo:201d bdquo:201e dagger:2020 Dagger:2021 bull:2022 hellip:2026 " +
  "permil:2030 prime:2032 Prime:2033 lsaquo:2039 rsaquo:203a oline:203e frasl:2044 euro:20ac image:2111 " +
  "weierp:2118 real:211c trade:2122 alefsym:2135 larr:2190 uarr:2191 rarr:2192 darr:2193 harr:2194 crarr:21b5 " +
  "lArr:21d0 uArr:21d1 rArr:21d2 dArr:21d3 hArr:21d4 forall:2200 part:2202 exist:2203 empty:2205 nabla:2207 " +
  "isin:2208 notin:2209 ni:220b prod:220f sum:2211 minus:2212 lowast:2217 radic:221a prop:221d infin:221e " +
  "ang:2220 and:2227 or:2228 cap:2229 cup:222a int:222b there4:2234 sim:223c cong:2245 asymp:2248 ne:2260 " +
  "equiv:2261 le:2264 ge:2265 sub:2282 sup:2283 nsub:2284 sube:2286 supe:2287 oplus:2295 otimes:2297 perp:22a5 " +
  "sdot:22c5 lceil:2308 rceil:2309 lfloor:230a rfloor:230b loz:25ca spades:2660 clubs:2663 hearts:2665 " +
  "diams:2666 lang:27e8 rang:27e9";

/** "&name;" → replacement text. */
const ENTITIES: ReadonlyMap<string, string> = (() => {
  const named = new Map<string, string>();
  for (const item of NAMED.split(" ")) {
    const [name, hex] = item.split(":") as [string, string];
    named.set(name, String.fromCodePoint(parseInt(hex, 16)));
  }
  const out = new Map<string, string>();
  for (const [name, char] of named) out.set(`&${name};`, char);
  // Entities whose name was uppercased along with the text around them (`&EACUTE;`): only for lowercase names,
  // and only when the uppercase spelling is not an entity of its own.
  for (const [name, char] of named) {
    const upper = name.toUpperCase();
    if (name === name.toLowerCase() && !named.has(upper)) out.set(`&${upper};`, char.toUpperCase());
  }
  return out;
})();

// Python's html.unescape: numbers 0x80–0x9F are read as Windows-1252 (the undefined five stay as they are).
const CP1252_C1 = "€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ";

/** What Python's `html.unescape` makes of `&#…;` (`body` is the text between "&#" and ";"). */
function decodeNumeric(body: string): string | null {
  let num: number;
  if (/^[xX][0-9a-fA-F]+$/.test(body)) num = parseInt(body.slice(1), 16);
  else if (/^[0-9]+$/.test(body)) num = parseInt(body, 10);
  else return null; // html.unescape decodes only a prefix here, which leaves a ";" behind: not replaced
  if (num === 0x00) return "\ufffd";
  if (num === 0x0d) return "\r";
  if (num >= 0x80 && num <= 0x9f) return CP1252_C1[num - 0x80]!;
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return "\ufffd";
  const invalid =
    (num >= 0x01 && num <= 0x08) ||
    num === 0x0b ||
    (num >= 0x0e && num <= 0x1f) ||
    num === 0x7f ||
    (num >= 0xfdd0 && num <= 0xfdef) ||
    (num & 0xfffe) === 0xfffe; // U+xFFFE / U+xFFFF of every plane
  return invalid ? "" : String.fromCodePoint(num);
}

const HTML_ENTITY_RE = /&#?[0-9A-Za-z]{1,24};/g;

/** Replace HTML entities and numeric character references (see the file comment for the exact rules). */
export function unescapeHtml(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(HTML_ENTITY_RE, (m) => {
    const named = ENTITIES.get(m);
    if (named !== undefined) return named;
    if (m.startsWith("&#")) {
      const decoded = decodeNumeric(m.slice(2, -1));
      if (decoded !== null && !decoded.includes(";")) return decoded;
    }
    return m;
  });
}
