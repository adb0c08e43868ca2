// SD1.5's CLIP tokenizer: prompt → 77 token ids, equal to transformers' slow `CLIPTokenizer` (with ftfy) called
// as SD pipelines call it: `tokenizer(prompt, padding="max_length", max_length=77, truncation=True).input_ids`.
//
//   1. the literal special tokens `<|startoftext|>` / `<|endoftext|>` are split out of the prompt first
//      (case-sensitive, like transformers' added-token trie); the pieces between them are tokenized separately;
//   2. each piece: cleanup (fixText.ts, ftfy's fix_text subset) → every run of whitespace → one space, trimmed →
//      lowercase (Unicode full lowercase: JS toLowerCase = Python str.lower());
//   3. pre-tokens = all matches of CLIP's pattern (special tokens | 's 't 're 've 'm 'll 'd | letter runs |
//      single digits | runs of other non-space characters); whitespace is dropped;
//   4. each pre-token's UTF-8 bytes as byte symbols (bytesToUnicode.ts), `</w>` appended to the last one, then
//      byte-level BPE with the merges of merges.txt (lowest rank first; results cached per pre-token);
//   5. [BOS] + ids + [EOS]; longer than 77 → first 76 + EOS (the cut part is reported); pad to 77 with EOS.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { bytesToSymbols, CHAR_TO_BYTE } from "./bytesToUnicode.js";
import { fixText } from "./fixText.js";

export const BOS_TOKEN = "<|startoftext|>";
export const EOS_TOKEN = "<|endoftext|>";

/** transformers and OpenAI read at most 49152 − 256 − 2 = 48894 merges (what SD1.5's merges.txt holds). */
const MAX_MERGES = 48894;

export interface CLIPEncoding {
  /** Exactly `maxLength` (77) ids: BOS, up to 75 tokens, EOS, then EOS padding. */
  readonly ids: number[];
  /** BOS + every token + EOS, any length (what SD pipelines compare with `ids` to warn about truncation). */
  readonly idsUntruncated: number[];
  /** The vocabulary strings of `idsUntruncated` (byte symbols, `</w>` marking a word end). */
  readonly tokens: string[];
  /** More than 75 tokens: the ids were cut. */
  readonly truncated: boolean;
  /** The text of the tokens that were cut (decoded like diffusers' warning does). */
  readonly truncatedText?: string;
  /** A ready-to-print warning when truncated. */
  readonly warning?: string;
}

// Whitespace as Python's `regex` module sees it (JS \s without U+FEFF, plus U+0085).
const WS = "\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WS_RUN_RE = new RegExp(`[${WS}]+`, "g");
// CLIP's pre-tokenizer. The reference compiles it case-insensitive; on lowercased text that changes nothing
// except U+0345 (combining ypogegrammeni case-folds to ι, so it matches neither letters nor "other" and is
// dropped), which we reproduce by excluding it from the last class.
const PRETOKEN_RE = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^${WS}\\p{L}\\p{N}\\u0345]+`,
  "gu",
);
const SPECIAL_SPLIT_RE = /(<\|startoftext\|>|<\|endoftext\|>)/;

/** The reference cleanup of one piece of text: whitespace_clean(ftfy.fix_text(text)).lower(). */
export function cleanText(text: string): string {
  return fixText(text).replace(WS_RUN_RE, " ").trim().toLowerCase();
}

function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`CLIP tokenizer: ${what} not found: ${path}`);
  if (!statSync(path).isFile()) throw new Error(`CLIP tokenizer: ${what} is not a file: ${path}`);
  return readFileSync(path, "utf8");
}

function parseVocab(path: string): Map<string, number> {
  let raw: unknown;
  try {
    raw = JSON.parse(readText(path, "vocab.json"));
  } catch (err) {
    if (err instanceof SyntaxError) throw new Error(`CLIP tokenizer: ${path} is not valid JSON (${err.message})`);
    throw err;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`CLIP tokenizer: ${path} must be a JSON object {token: id}`);
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(raw)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      throw new Error(`CLIP tokenizer: ${path}: id of token ${JSON.stringify(token)} is ${JSON.stringify(id)}, expected a non-negative integer`);
    }
    vocab.set(token, id as number);
  }
  for (const special of [BOS_TOKEN, EOS_TOKEN]) {
    if (!vocab.has(special)) throw new Error(`CLIP tokenizer: ${path} has no ${special} token (not a CLIP vocabulary?)`);
  }
  return vocab;
}

/** "A B" → rank (0-based line index after the `#version` header), as transformers reads merges.txt. */
function parseMerges(path: string): Map<string, number> {
  const lines = readText(path, "merges.txt").trim().split("\n");
  // transformers always drops the first line (the "#version: 0.2" header); we drop it only when it is one.
  const start = lines.length > 0 && lines[0]!.startsWith("#") ? 1 : 0;
  const ranks = new Map<string, number>();
  const end = Math.min(lines.length, start + MAX_MERGES);
  for (let i = start; i < end; i++) {
    const parts = lines[i]!.trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === "") continue; // a blank line keeps its rank but merges nothing
    if (parts.length !== 2) {
      throw new Error(`CLIP tokenizer: ${path} line ${i + 1}: expected a merge "A B", got ${JSON.stringify(lines[i])}`);
    }
    const key = `${parts[0]} ${parts[1]}`;
    if (!ranks.has(key)) ranks.set(key, i - start);
  }
  if (ranks.size === 0) throw new Error(`CLIP tokenizer: ${path} holds no merges`);
  return ranks;
}

export class CLIPTokenizer {
  readonly maxLength = 77;
  readonly bosId: number;
  readonly eosId: number;
  /** SD1.5 pads with the EOS id. */
  readonly padId: number;
  private readonly vocab: Map<string, number>;
  private readonly idToToken: Map<number, string>;
  private readonly ranks: Map<string, number>;
  /** pre-token → its BPE symbols (the reference caches the same way). */
  private readonly cache = new Map<string, readonly string[]>();
  private static readonly CACHE_LIMIT = 100_000;

  constructor(vocab: Map<string, number>, ranks: Map<string, number>) {
    this.vocab = vocab;
    this.ranks = ranks;
    this.idToToken = new Map([...vocab].map(([t, id]) => [id, t]));
    this.bosId = vocab.get(BOS_TOKEN)!;
    this.eosId = vocab.get(EOS_TOKEN)!;
    this.padId = this.eosId;
  }

  /** A model folder's tokenizer: `<dir>/vocab.json` + `<dir>/merges.txt` (SD1.5: `<model>/tokenizer/`). */
  static fromFolder(dir: string): CLIPTokenizer {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`CLIP tokenizer: folder not found: ${dir}`);
    return CLIPTokenizer.fromFiles(join(dir, "vocab.json"), join(dir, "merges.txt"));
  }

  static fromFiles(vocabPath: string, mergesPath: string): CLIPTokenizer {
    return new CLIPTokenizer(parseVocab(vocabPath), parseMerges(mergesPath));
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  /** Id of a vocabulary string (unknown strings map to the unk token = EOS, as in transformers). */
  tokenToId(token: string): number {
    return this.vocab.get(token) ?? this.eosId;
  }

  /** The BPE symbols of one pre-token (already in byte symbols), the last one ending in `</w>`. */
  private bpe(word: string): readonly string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let symbols: string[] = [...word];
    symbols[symbols.length - 1] += "</w>";
    while (symbols.length > 1) {
      // The adjacent pair with the lowest merge rank…
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      // …is merged everywhere it occurs, left to right, without overlaps.
      const a = symbols[best]!;
      const b = symbols[best + 1]!;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; ) {
        if (symbols[i] === a && i + 1 < symbols.length && symbols[i + 1] === b) {
          merged.push(a + b);
          i += 2;
        } else merged.push(symbols[i++]!);
      }
      symbols = merged;
    }
    if (this.cache.size >= CLIPTokenizer.CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }

  /** The vocabulary strings of a prompt, without BOS/EOS framing. */
  tokenize(prompt: string): string[] {
    const out: string[] = [];
    for (const piece of prompt.split(SPECIAL_SPLIT_RE)) {
      if (piece === "") continue;
      if (piece === BOS_TOKEN || piece === EOS_TOKEN) {
        out.push(piece);
        continue;
      }
      for (const m of cleanText(piece).matchAll(PRETOKEN_RE)) {
        const pre = m[0];
        // A special token written in other case ("<|ENDOFTEXT|>") is lowercased into one; it is not BPE'd.
        if (pre === BOS_TOKEN || pre === EOS_TOKEN) out.push(pre);
        else out.push(...this.bpe(bytesToSymbols(pre)));
      }
    }
    return out;
  }

  encode(prompt: string): CLIPEncoding {
    const body = this.tokenize(prompt);
    const tokens = [BOS_TOKEN, ...body, EOS_TOKEN];
    const idsUntruncated = tokens.map((t) => this.tokenToId(t));
    const truncated = idsUntruncated.length > this.maxLength;
    const ids = truncated ? [...idsUntruncated.slice(0, this.maxLength - 1), this.eosId] : [...idsUntruncated];
    while (ids.length < this.maxLength) ids.push(this.padId);
    if (!truncated) return { ids, idsUntruncated, tokens, truncated };
    // Like diffusers: the cut tokens are untruncated[maxLength − 1 : −1] (everything after token 75, before EOS).
    const cut = idsUntruncated.slice(this.maxLength - 1, -1);
    const truncatedText = this.decode(cut);
    const n = idsUntruncated.length - 2;
    const warning =
      `prompt has ${n} tokens but CLIP takes at most ${this.maxLength - 2}; ` +
      `the last ${cut.length} (${JSON.stringify(truncatedText)}) ${cut.length === 1 ? "was" : "were"} cut`;
    return { ids, idsUntruncated, tokens, truncated, truncatedText, warning };
  }

  /** Ids → text: byte symbols back to UTF-8, each `</w>` becomes a space (as transformers' decode). */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const token = this.idToToken.get(id);
      if (token === undefined) throw new Error(`CLIP tokenizer: id ${id} is not in the vocabulary (size ${this.vocabSize})`);
      for (const ch of token) {
        const b = CHAR_TO_BYTE.get(ch);
        // Every vocabulary string is written in byte symbols; the special tokens are printable ASCII.
        if (b !== undefined) bytes.push(b);
        else for (const u of new TextEncoder().encode(ch)) bytes.push(u);
      }
    }
    return new TextDecoder("utf-8").decode(Uint8Array.from(bytes)).replaceAll("</w>", " ").trim();
  }
}
