// The CLIP vocabulary built from a merge list, as OpenAI's `bpe_simple_vocab_16e6.txt.gz` defines it and SD1.5's
// `tokenizer/vocab.json` + `merges.txt` store it (fixtures README-clip.md §1):
//   ids 0–255     the 256 byte symbols (printable ranges first, then the 68 remapped bytes)
//   ids 256–511   the same symbols with `</w>` appended
//   ids 512…      `A+B` for each merge "A B", in merge order
//   then          `<|startoftext|>`, `<|endoftext|>`
// Merge rank = position in the list. Single-file checkpoints carry no tokenizer, so sdts ships OpenAI's file
// (assets/clip/) and builds the tokenizer from it here; the demo model builds its own small merge list.
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { BYTE_SYMBOLS_IN_VOCAB_ORDER } from "./bytesToUnicode.js";
import { BOS_TOKEN, CLIPTokenizer, EOS_TOKEN } from "./CLIPTokenizer.js";

/** OpenAI's file holds more merges; CLIP (and transformers) use exactly the first 48894 after the header. */
export const OPENAI_CLIP_MERGES = 48894;

/** vocab (token → id) and merge ranks ("A B" → rank) for a merge list. */
export function clipVocabFromMerges(merges: readonly (readonly [string, string])[]): {
  vocab: Map<string, number>;
  ranks: Map<string, number>;
} {
  const tokens: string[] = [...BYTE_SYMBOLS_IN_VOCAB_ORDER, ...BYTE_SYMBOLS_IN_VOCAB_ORDER.map((s) => `${s}</w>`)];
  const ranks = new Map<string, number>();
  merges.forEach(([a, b], i) => {
    tokens.push(a + b);
    const key = `${a} ${b}`;
    if (!ranks.has(key)) ranks.set(key, i);
  });
  tokens.push(BOS_TOKEN, EOS_TOKEN);
  const vocab = new Map<string, number>();
  // A token that appears twice (possible only in a hand-made list) keeps its last id, as a Python dict would.
  tokens.forEach((t, id) => vocab.set(t, id));
  return { vocab, ranks };
}

/** A tokenizer over an in-memory merge list (ids as above). */
export function tokenizerFromMerges(merges: readonly (readonly [string, string])[]): CLIPTokenizer {
  const { vocab, ranks } = clipVocabFromMerges(merges);
  return new CLIPTokenizer(vocab, ranks);
}

/** The merges of OpenAI's `bpe_simple_vocab_16e6.txt` text: lines 1 … 48894 (line 0 is a header). */
export function parseOpenAIBpeText(text: string, source = "bpe_simple_vocab_16e6.txt"): Array<[string, string]> {
  const lines = text.split("\n");
  if (lines.length < OPENAI_CLIP_MERGES + 1) {
    throw new Error(`CLIP vocabulary ${source}: ${lines.length - 1} merge lines, expected at least ${OPENAI_CLIP_MERGES} (truncated file?)`);
  }
  const merges: Array<[string, string]> = [];
  for (let i = 1; i <= OPENAI_CLIP_MERGES; i++) {
    const parts = lines[i]!.split(" ");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      throw new Error(`CLIP vocabulary ${source} line ${i + 1}: expected a merge "A B", got ${JSON.stringify(lines[i])}`);
    }
    merges.push([parts[0]!, parts[1]!]);
  }
  return merges;
}

/** SD1.5's tokenizer from OpenAI's gzipped BPE file (49408 tokens; equal to `tokenizer/vocab.json` + `merges.txt`). */
export function tokenizerFromOpenAIBpeFile(gzPath: string): CLIPTokenizer {
  if (!existsSync(gzPath)) throw new Error(`CLIP vocabulary file not found: ${gzPath}`);
  let text: string;
  try {
    text = gunzipSync(readFileSync(gzPath)).toString("utf8");
  } catch (err) {
    throw new Error(`CLIP vocabulary ${gzPath} is not a readable gzip file (${(err as Error).message})`);
  }
  return tokenizerFromMerges(parseOpenAIBpeText(text, gzPath));
}
